package org.cmarl.engine.dataset;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.ui.ProgressBars;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;

/**
 * A data set: the images of an image list ({@code --files IMAGE_LIST [LANDMARK_LIST]}), loaded once, and their
 * landmarks for any choice of landmark ids and file type, as the {@link LabelledImage}s that training and evaluation
 * run on: {@code --task eval/play/train}, {@code visualise} and {@code evaluate-models} (which evaluates several
 * models, each with its own landmarks, on the same volumes). Owns the volumes.
 */
public final class ImageDataset implements AutoCloseable {
    private final List<Path> imageFiles;
    private final List<Path> landmarkFiles;
    private final List<Volume> volumes;

    private ImageDataset(List<Path> imageFiles, List<Path> landmarkFiles, List<Volume> volumes) {
        this.imageFiles = imageFiles;
        this.landmarkFiles = landmarkFiles;
        this.volumes = volumes;
    }

    /**
     * Reads the list(s) and loads every image, with a progress bar on {@code out}.
     *
     * @param lists          image list, then optionally the landmark list (paired line by line)
     * @param ignoreLandmarks true to load images only even when a landmark list is given (play mode)
     */
    public static ImageDataset load(List<Path> lists, boolean ignoreLandmarks, PrintStream out) {
        List<Path> imageFiles = new ArrayList<>();
        List<Path> landmarkFiles = new ArrayList<>();
        list(lists, ignoreLandmarks, imageFiles, landmarkFiles);
        return load(imageFiles, landmarkFiles, out);
    }

    /**
     * Reads one or two lists (images, landmarks paired by line; every listed file checked to exist) into
     * {@code imageFiles} and {@code landmarkFiles}; the landmark list is not read when {@code ignoreLandmarks}.
     */
    public static void list(List<Path> lists, boolean ignoreLandmarks, List<Path> imageFiles, List<Path> landmarkFiles) {
        if (lists.size() == 2 && !ignoreLandmarks) {
            for (FileList.Pair p : FileList.pairs(lists.get(0), lists.get(1))) {
                imageFiles.add(p.image());
                landmarkFiles.add(p.landmarks());
            }
        } else {
            imageFiles.addAll(FileList.read(lists.get(0)));
        }
    }

    /**
     * Loads already listed images, with a progress bar on {@code out}.
     *
     * @param landmarkFiles paired with the images, or empty when there are no landmarks
     */
    public static ImageDataset load(List<Path> imageFiles, List<Path> landmarkFiles, PrintStream out) {
        List<Volume> volumes = new ArrayList<>();
        if (!imageFiles.isEmpty()) {
            try (ProgressBar bar = ProgressBars.create("loading", imageFiles.size(), " images", out)) {
                for (Path file : imageFiles) {
                    volumes.add(NiftiReader.load(file));
                    bar.step();
                }
            } catch (RuntimeException e) {
                volumes.forEach(Volume::close);
                throw e;
            }
        }
        return new ImageDataset(List.copyOf(imageFiles), landmarkFiles.isEmpty() ? null : List.copyOf(landmarkFiles),
                volumes);
    }

    public int size() {
        return volumes.size();
    }

    public boolean hasLandmarks() {
        return landmarkFiles != null;
    }

    public Path imageFile(int i) {
        return imageFiles.get(i);
    }

    public Path landmarkFile(int i) {
        return landmarkFiles.get(i);
    }

    public Volume volume(int i) {
        return volumes.get(i);
    }

    /**
     * The images with one landmark per id (one agent per id), or without landmarks when {@code landmarkIds} is
     * null. The volumes stay owned by this set.
     */
    public List<LabelledImage> images(FileType type, List<Integer> landmarkIds) {
        if (landmarkIds != null && landmarkFiles == null) {
            throw new IllegalStateException("landmarks requested but no landmark list was given to --files");
        }
        List<LabelledImage> images = new ArrayList<>();
        for (int i = 0; i < volumes.size(); i++) {
            int[][] landmarks = null;
            if (landmarkIds != null) {
                landmarks = new int[landmarkIds.size()][];
                for (int a = 0; a < landmarks.length; a++) {
                    landmarks[a] = LandmarkReader.landmark(landmarkFiles.get(i), type, landmarkIds.get(a),
                            volumes.get(i));
                }
            }
            images.add(new LabelledImage(imageFiles.get(i).getFileName().toString(), volumes.get(i), landmarks));
        }
        return images;
    }

    @Override
    public void close() {
        for (Volume v : volumes) {
            v.close();
        }
    }
}
