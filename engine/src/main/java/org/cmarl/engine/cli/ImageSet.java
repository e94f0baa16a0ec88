package org.cmarl.engine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.eval.EvalImage;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;

/**
 * The images of {@code --files IMAGE_LIST [LANDMARK_LIST]}, loaded once, and their landmarks for any choice of
 * landmark ids and file type: {@code --task eval/play/train}, {@code visualise} and {@code evaluate-models} (which
 * evaluates several models, each with its own landmarks, on the same volumes). Owns the volumes.
 */
final class ImageSet implements AutoCloseable {
    private final List<Path> imageFiles;
    private final List<Path> landmarkFiles;
    private final List<Volume> volumes;

    private ImageSet(List<Path> imageFiles, List<Path> landmarkFiles, List<Volume> volumes) {
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
    static ImageSet load(List<Path> lists, boolean ignoreLandmarks, PrintStream out) {
        List<Path> imageFiles = new ArrayList<>();
        List<Path> landmarkFiles = new ArrayList<>();
        list(lists, ignoreLandmarks, imageFiles, landmarkFiles);
        return load(imageFiles, landmarkFiles, out);
    }

    /**
     * Reads one or two lists (images, landmarks paired by line; every listed file checked to exist) into
     * {@code imageFiles} and {@code landmarkFiles}; the landmark list is not read when {@code ignoreLandmarks}.
     */
    static void list(List<Path> lists, boolean ignoreLandmarks, List<Path> imageFiles, List<Path> landmarkFiles) {
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
    static ImageSet load(List<Path> imageFiles, List<Path> landmarkFiles, PrintStream out) {
        List<Volume> volumes = new ArrayList<>();
        if (!imageFiles.isEmpty()) {
            try (ProgressBar bar = bar(out, "loading", imageFiles.size(), " images")) {
                for (Path file : imageFiles) {
                    volumes.add(NiftiReader.load(file));
                    bar.step();
                }
            } catch (RuntimeException e) {
                volumes.forEach(Volume::close);
                throw e;
            }
        }
        return new ImageSet(List.copyOf(imageFiles), landmarkFiles.isEmpty() ? null : List.copyOf(landmarkFiles),
                volumes);
    }

    int size() {
        return volumes.size();
    }

    boolean hasLandmarks() {
        return landmarkFiles != null;
    }

    Path imageFile(int i) {
        return imageFiles.get(i);
    }

    Path landmarkFile(int i) {
        return landmarkFiles.get(i);
    }

    Volume volume(int i) {
        return volumes.get(i);
    }

    /**
     * The images with one landmark per id (one agent per id), or without landmarks when {@code landmarkIds} is
     * null. The volumes stay owned by this set.
     */
    List<EvalImage> images(FileType type, List<Integer> landmarkIds) {
        if (landmarkIds != null && landmarkFiles == null) {
            throw new BadInputException("landmarks requested but no landmark list was given to --files");
        }
        List<EvalImage> images = new ArrayList<>();
        for (int i = 0; i < volumes.size(); i++) {
            int[][] landmarks = null;
            if (landmarkIds != null) {
                landmarks = new int[landmarkIds.size()][];
                for (int a = 0; a < landmarks.length; a++) {
                    landmarks[a] = LandmarkReader.landmark(landmarkFiles.get(i), type, landmarkIds.get(a),
                            volumes.get(i));
                }
            }
            images.add(new EvalImage(imageFiles.get(i).getFileName().toString(), volumes.get(i), landmarks));
        }
        return images;
    }

    static ProgressBar bar(PrintStream out, String task, long max, String unit) {
        return org.cmarl.engine.ui.ProgressBars.create(task, max, unit, out);
    }

    @Override
    public void close() {
        for (Volume v : volumes) {
            v.close();
        }
    }
}
