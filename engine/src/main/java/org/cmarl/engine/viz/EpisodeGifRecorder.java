package org.cmarl.engine.viz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.ResultsCsv;

/**
 * {@code --saveGif}: one animated GIF per evaluation or play episode, {@code DIR/episode_0001_<image>.gif} (episode
 * numbers as in results.csv: {@code run * images + image + 1}). Listens to the {@link Evaluator}: a frame after the
 * reset and after every step, each written to its file at once; the file is finished when the episode is over.
 * The lockstep evaluator runs several episodes at a time, so at most {@code batch} files are open at once; memory is
 * one frame per image size.
 */
public final class EpisodeGifRecorder implements Evaluator.StepListener, AutoCloseable {
    /** Default time a frame shows: 10 frames a second. */
    public static final int DEFAULT_DELAY_MS = 100;
    /** Default pixels per voxel side: readable text on a 182-voxel brain slice. */
    public static final int DEFAULT_PIXELS_PER_VOXEL = 2;

    private final Path dir;
    private final int delayMs;
    private final EpisodeFrameRenderer renderer;
    private final Map<Integer, GifSequenceWriter> open = new HashMap<>();
    private final List<Path> written = new ArrayList<>();
    private boolean closed;
    // images per run when GIFs carry the results.csv numbers (0: episode index + 1)
    private int imagesPerRun;

    /**
     * @param dir            folder for the GIFs (created)
     * @param delayMs        time each frame shows, in ms
     * @param pixelsPerVoxel pixels per voxel side
     */
    public EpisodeGifRecorder(Path dir, int delayMs, int pixelsPerVoxel) throws IOException {
        this.renderer = new EpisodeFrameRenderer(pixelsPerVoxel);
        if (delayMs < 0) {
            throw new IllegalArgumentException("GIF frame delay " + delayMs + " ms must be >= 0");
        }
        this.dir = dir;
        this.delayMs = delayMs;
        Files.createDirectories(dir);
    }

    /** With the defaults (100 ms a frame, 2 pixels per voxel). */
    public EpisodeGifRecorder(Path dir) throws IOException {
        this(dir, DEFAULT_DELAY_MS, DEFAULT_PIXELS_PER_VOXEL);
    }

    /**
     * Names the GIFs with the row numbers of results.csv (the published order: the first image of each run is its
     * last episode, see {@link ResultsCsv#number}) instead of the episode index + 1.
     */
    public EpisodeGifRecorder numberedAsResults(int images) {
        if (images < 1) {
            throw new IllegalArgumentException("images per run " + images + " must be at least 1");
        }
        this.imagesPerRun = images;
        return this;
    }

    @Override
    public void onState(int episode, LandmarkEnv env) {
        if (closed) {
            throw new IllegalStateException("GIF recorder for " + dir + " already closed");
        }
        try {
            GifSequenceWriter gif = open.get(episode);
            if (gif == null) {
                int number = imagesPerRun == 0 ? episode
                        : ResultsCsv.number(episode / imagesPerRun, episode % imagesPerRun, imagesPerRun) - 1;
                gif = new GifSequenceWriter(dir.resolve(fileName(number, env.image().name())), delayMs);
                open.put(episode, gif);
            }
            gif.add(renderer.render(env));
            if (env.isOver()) {
                open.remove(episode);
                gif.close();
                written.add(gif.file());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the GIF of episode " + (episode + 1) + " in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@code episode_0001_<image name without .nii/.nii.gz, other than [A-Za-z0-9._-] replaced by _>.gif}. */
    public static String fileName(int episode, String imageName) {
        return String.format(Locale.ROOT, "episode_%04d_%s.gif", episode + 1, stem(imageName));
    }

    /** An image file name without {@code .nii}/{@code .nii.gz}, characters other than [A-Za-z0-9._-] as _. */
    public static String stem(String imageName) {
        return imageName.replaceFirst("\\.nii(\\.gz)?$", "").replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** The finished GIFs, in completion order. */
    public List<Path> written() {
        return List.copyOf(written);
    }

    public Path dir() {
        return dir;
    }

    /** Finishes any GIF still open (an evaluation that stopped early); idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        for (GifSequenceWriter gif : open.values()) {
            try {
                gif.close();
                written.add(gif.file());
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }
}
