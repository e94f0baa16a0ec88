package org.cmarl.engine.synth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cmarl.engine.volume.NiftiWriter;

/**
 * Writes a small, learnable stand-in for the brain dataset: smooth 3D phantoms with four distinct landmark
 * structures, their landmark files and the two file lists, laid out like {@code sample-data/brain}:
 * <pre>
 *   outDir/image_files.txt        images/synth_000.nii.gz ...   (relative to outDir, the published names)
 *   outDir/landmark_files.txt     landmarks/synth_000.txt ...
 *   outDir/images/synth_NNN.nii.gz    float32, size^3 voxels, 1 mm, identity qform (voxel index = mm)
 *   outDir/landmarks/synth_NNN.txt    4 rows "x,y,z" (brain format), integer voxels
 * </pre>
 *
 * <p>Each phantom is a "head": an ellipsoid of intensity about 100 with a soft 2-voxel edge and a gentle
 * low-frequency shading (amplitude 8), on a background of 5, plus uniform noise of +-0.5. Landmark {@code k} is the
 * centre (an integer voxel) of structure {@code k}, whose position is jittered per image:
 * <ol start="0">
 *   <li>small bright blob: Gaussian, sigma size/25, +300;</li>
 *   <li>large bright blob: Gaussian, sigma size/16, +220;</li>
 *   <li>dark hole: Gaussian, sigma size/20, -160;</li>
 *   <li>bright bar along x: Gaussian, sigma (size/16, size/40, size/40), +260.</li>
 * </ol>
 * The amplitudes and widths make each centre the strict local extremum of its 5^3 neighbourhood despite shading
 * and noise (the centre-to-neighbour drop of every structure, at least about 6, exceeds shading gradient + noise,
 * at most about 2), and centres are kept at least {@code size/4} apart so tails do not move the extrema.
 *
 * <p>Deterministic: the same (count, seed, size) gives byte-identical files ({@link SplittableRandom} per image,
 * gzip time stamp 0).
 */
public final class SyntheticDataset {
    /** Default edge length in voxels. */
    public static final int DEFAULT_SIZE_VOXELS = 64;
    public static final int MIN_SIZE_VOXELS = 32;
    public static final int MAX_SIZE_VOXELS = 512;
    /** Landmark structures per image, hence rows per landmark file. */
    public static final int LANDMARKS = 4;

    private static final double BACKGROUND = 5;
    private static final double HEAD = 100;
    private static final double SHADING_AMPLITUDE = 8;
    private static final double EDGE_WIDTH_VOXELS = 2;
    private static final double NOISE_AMPLITUDE = 0.5;
    /** Head ellipsoid semi-axes as fractions of the size. */
    private static final double[] HEAD_SEMI_AXES = {0.42, 0.45, 0.40};
    /** Nominal structure centres as fractions of the size, before jitter. */
    private static final double[][] BASE_CENTRES = {{0.33, 0.38, 0.58}, {0.67, 0.38, 0.45}, {0.50, 0.68, 0.42},
            {0.50, 0.36, 0.25}};
    /** Jitter per axis, +- this fraction of the size. */
    private static final double JITTER = 0.06;
    private static final double[] AMPLITUDES = {300, 220, -160, 260};
    /** Sigma per structure and axis, as size divided by this. */
    private static final double[][] SIGMA_DIVISORS = {{25, 25, 25}, {16, 16, 16}, {20, 20, 20}, {16, 40, 40}};

    private SyntheticDataset() {
    }

    /** What was written: image and landmark files in list order, and the two lists. */
    public record Result(List<Path> images, List<Path> landmarks, Path imageList, Path landmarkList,
                         List<int[][]> landmarkVoxels) {
    }

    /**
     * Writes {@code count} phantoms of {@code sizeVoxels}^3 into {@code outDir} (created if needed; existing files
     * of the same names are overwritten).
     */
    public static Result generate(Path outDir, int count, long seed, int sizeVoxels) {
        if (count < 1) {
            throw new IllegalArgumentException("count=" + count + ", required >= 1");
        }
        if (sizeVoxels < MIN_SIZE_VOXELS || sizeVoxels > MAX_SIZE_VOXELS) {
            throw new IllegalArgumentException("sizeVoxels=" + sizeVoxels + ", required " + MIN_SIZE_VOXELS + ".."
                    + MAX_SIZE_VOXELS);
        }
        try {
            Files.createDirectories(outDir.resolve("images"));
            Files.createDirectories(outDir.resolve("landmarks"));
            SplittableRandom root = new SplittableRandom(seed);
            List<Path> images = new ArrayList<>();
            List<Path> landmarkFiles = new ArrayList<>();
            List<int[][]> voxels = new ArrayList<>();
            StringBuilder imageList = new StringBuilder();
            StringBuilder landmarkList = new StringBuilder();
            float[] values = new float[sizeVoxels * sizeVoxels * sizeVoxels];
            for (int i = 0; i < count; i++) {
                SplittableRandom rng = root.split();
                int[][] centres = centres(rng, sizeVoxels);
                render(rng, sizeVoxels, centres, values);
                String stem = String.format("synth_%03d", i);
                Path image = outDir.resolve("images").resolve(stem + ".nii.gz");
                NiftiWriter.of(sizeVoxels, sizeVoxels, sizeVoxels).qform(1, 0, 0, 0, 1, 0, 0, 0).write(image, values);
                Path landmarks = outDir.resolve("landmarks").resolve(stem + ".txt");
                StringBuilder rows = new StringBuilder();
                for (int[] c : centres) {
                    rows.append(c[0]).append(',').append(c[1]).append(',').append(c[2]).append('\n');
                }
                Files.writeString(landmarks, rows, StandardCharsets.UTF_8);
                images.add(image);
                landmarkFiles.add(landmarks);
                voxels.add(centres);
                imageList.append("images/").append(stem).append(".nii.gz\n");
                landmarkList.append("landmarks/").append(stem).append(".txt\n");
            }
            Path imageListFile = outDir.resolve("image_files.txt");
            Path landmarkListFile = outDir.resolve("landmark_files.txt");
            Files.writeString(imageListFile, imageList, StandardCharsets.UTF_8);
            Files.writeString(landmarkListFile, landmarkList, StandardCharsets.UTF_8);
            return new Result(List.copyOf(images), List.copyOf(landmarkFiles), imageListFile, landmarkListFile,
                    List.copyOf(voxels));
        } catch (IOException e) {
            // the command line adds the cause in words ("FILE: permission denied")
            throw new UncheckedIOException("writing synthetic dataset to " + outDir, e);
        }
    }

    /** Jittered integer centres, redrawn until every pair is at least size/4 apart. */
    private static int[][] centres(SplittableRandom rng, int size) {
        double minDistance = size / 4.0;
        int jitter = Math.max(1, (int) Math.round(JITTER * size));
        int[][] c = new int[LANDMARKS][3];
        for (int attempt = 0; ; attempt++) {
            for (int k = 0; k < LANDMARKS; k++) {
                for (int a = 0; a < 3; a++) {
                    c[k][a] = (int) Math.round(BASE_CENTRES[k][a] * (size - 1)) + rng.nextInt(-jitter, jitter + 1);
                }
            }
            if (farApart(c, minDistance)) {
                return c;
            }
            if (attempt > 1000) {
                throw new IllegalStateException("cannot place " + LANDMARKS + " structures " + minDistance
                        + " voxels apart in size " + size);
            }
        }
    }

    private static boolean farApart(int[][] c, double minDistance) {
        for (int i = 0; i < c.length; i++) {
            for (int j = i + 1; j < c.length; j++) {
                double dx = c[i][0] - c[j][0];
                double dy = c[i][1] - c[j][1];
                double dz = c[i][2] - c[j][2];
                if (Math.sqrt(dx * dx + dy * dy + dz * dz) < minDistance) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Fills {@code out} (x fastest) with one phantom. */
    private static void render(SplittableRandom rng, int size, int[][] centres, float[] out) {
        double[] phase = {rng.nextDouble() * 2 * Math.PI, rng.nextDouble() * 2 * Math.PI, rng.nextDouble() * 2 * Math.PI};
        double half = (size - 1) / 2.0;
        double[][] inverseTwoSigmaSquared = new double[LANDMARKS][3];
        for (int k = 0; k < LANDMARKS; k++) {
            for (int a = 0; a < 3; a++) {
                double sigma = size / SIGMA_DIVISORS[k][a];
                inverseTwoSigmaSquared[k][a] = 1.0 / (2 * sigma * sigma);
            }
        }
        double minSemiAxis = Math.min(HEAD_SEMI_AXES[0], Math.min(HEAD_SEMI_AXES[1], HEAD_SEMI_AXES[2])) * size;
        int i = 0;
        for (int z = 0; z < size; z++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++, i++) {
                    double ex = (x - half) / (HEAD_SEMI_AXES[0] * size);
                    double ey = (y - half) / (HEAD_SEMI_AXES[1] * size);
                    double ez = (z - half) / (HEAD_SEMI_AXES[2] * size);
                    double signedDistance = (Math.sqrt(ex * ex + ey * ey + ez * ez) - 1) * minSemiAxis;
                    double inside = 1 / (1 + Math.exp(signedDistance / (EDGE_WIDTH_VOXELS / 4)));
                    double shading = SHADING_AMPLITUDE / 3 * (Math.sin(2 * Math.PI * x / size + phase[0])
                            + Math.sin(2 * Math.PI * y / size + phase[1]) + Math.sin(2 * Math.PI * z / size + phase[2]));
                    double v = BACKGROUND + inside * (HEAD - BACKGROUND + shading);
                    for (int k = 0; k < LANDMARKS; k++) {
                        double dx = x - centres[k][0];
                        double dy = y - centres[k][1];
                        double dz = z - centres[k][2];
                        v += AMPLITUDES[k] * Math.exp(-(dx * dx * inverseTwoSigmaSquared[k][0]
                                + dy * dy * inverseTwoSigmaSquared[k][1] + dz * dz * inverseTwoSigmaSquared[k][2]));
                    }
                    v += (rng.nextDouble() * 2 - 1) * NOISE_AMPLITUDE;
                    out[i] = (float) v;
                }
            }
        }
    }
}
