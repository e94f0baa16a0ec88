package org.cmarl.engine.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.cmarl.engine.synth.SyntheticDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlm synth}: writes synthetic phantoms with learnable landmarks, laid out like the sample data. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write N smooth 3D phantoms (.nii.gz, float32, 1 mm) with 4 distinct landmark structures each "
                + "(0 small bright blob, 1 large bright blob, 2 dark hole, 3 bright bar), landmark files in the brain "
                + "format, and the lists image_files.txt and landmark_files.txt.",
                "Use them like the sample data: --files DIR/image_files.txt DIR/landmark_files.txt --landmarks 0"})
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created).")
    Path out;

    @Option(names = "--count", defaultValue = "8", description = "Number of images. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--seed", defaultValue = "0", description = "Seed; the same seed gives byte-identical files. "
            + "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--size", defaultValue = "64", description = "Edge length in voxels ("
            + SyntheticDataset.MIN_SIZE_VOXELS + ".." + SyntheticDataset.MAX_SIZE_VOXELS + "). Default: ${DEFAULT-VALUE}.")
    int size;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (count < 1) {
            throw new BadInputException("--count " + count + " must be at least 1");
        }
        if (size < SyntheticDataset.MIN_SIZE_VOXELS || size > SyntheticDataset.MAX_SIZE_VOXELS) {
            throw new BadInputException("--size " + size + " must be " + SyntheticDataset.MIN_SIZE_VOXELS + ".."
                    + SyntheticDataset.MAX_SIZE_VOXELS + " voxels");
        }
        SyntheticDataset.Result r = SyntheticDataset.generate(out, count, seed, size);
        var o = spec.commandLine().getOut();
        o.println("wrote " + r.images().size() + " phantoms of " + size + "^3 voxels to " + out);
        o.println("  images:    " + r.imageList());
        o.println("  landmarks: " + r.landmarkList());
        return 0;
    }
}
