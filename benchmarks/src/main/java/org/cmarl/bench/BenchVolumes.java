package org.cmarl.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.cmarl.engine.volume.Affine;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;

/** The image the environment benchmarks run on: the first sample scan if {@code rlm.shared.dir} has it. */
final class BenchVolumes {
    private BenchVolumes() {
    }

    /** The first scan of {@code sample-data/brain/image_files.txt}, else a synthetic 182 x 218 x 182 volume. */
    static Volume sampleOrSynthetic() {
        Path brain = Path.of(System.getProperty("rlm.shared.dir", "../shared")).resolve("sample-data/brain");
        Path list = brain.resolve("image_files.txt");
        try {
            if (Files.isRegularFile(list)) {
                List<String> lines = Files.readAllLines(list);
                return NiftiReader.load(brain.resolve(lines.get(0).trim()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Volume v = Volume.allocate("synthetic", 182, 218, 182, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1), null);
        for (int i = 0; i < v.voxelCount(); i++) {
            v.floatVoxels().putFloat(i << 2, (i * 2654435761L >>> 24) % 256);
        }
        v.deriveBytePlane();
        return v;
    }
}
