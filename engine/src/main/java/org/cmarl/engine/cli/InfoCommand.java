package org.cmarl.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cmarl.engine.volume.ImageFormatException;
import org.cmarl.engine.volume.ImageInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlm info IMAGE...}: geometry and intensity statistics of NIfTI images, as the engine sees them. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print, per image: dims, datatype, spacing, voxel-to-physical affine, raw min/max/mean, "
                + "p10/p99 and the mean after the engine's normalisation (SPEC.md section 1).")
final class InfoCommand implements Callable<Integer> {
    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "NIfTI-1 images (.nii or .nii.gz).")
    List<Path> images;

    @Option(names = "--json", description = "A JSON array, one object per image (keys file, dims, datatype, spacing, "
            + "affine, min, max, mean, p10, p99, normalisedMean; or file and error).")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int failures = 0;
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ArrayNode array = mapper.createArrayNode();
            for (Path image : images) {
                ObjectNode node = ImageInfo.describe(image);
                failures += node.has("error") ? 1 : 0;
                array.add(node);
            }
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array));
        } else {
            for (Path image : images) {
                try {
                    out.println(describe(ImageInfo.of(image)));
                } catch (ImageFormatException e) {
                    failures++;
                    err.println("rlm: " + e.getMessage());
                }
            }
        }
        return failures == 0 ? 0 : Main.EXIT_BAD_INPUT;
    }

    static String describe(ImageInfo i) {
        StringBuilder b = new StringBuilder();
        b.append(i.file()).append('\n');
        b.append(String.format(Locale.ROOT, "  dims      %d x %d x %d voxels, %s%n", i.dims()[0], i.dims()[1],
                i.dims()[2], i.datatype()));
        b.append(String.format(Locale.ROOT, "  spacing   %.4g x %.4g x %.4g mm%n", i.spacingMm()[0], i.spacingMm()[1],
                i.spacingMm()[2]));
        for (int r = 0; r < 4; r++) {
            double[] row = i.affine()[r];
            b.append(r == 0 ? "  affine    " : "            ").append(String.format(Locale.ROOT,
                    "[%9.4f %9.4f %9.4f %9.4f]%n", row[0], row[1], row[2], row[3]));
        }
        var s = i.stats();
        b.append(String.format(Locale.ROOT, "  raw       min %.6g, max %.6g, mean %.6g%n", s.rawMin(), s.rawMax(),
                s.rawMean()));
        b.append(String.format(Locale.ROOT, "  clip      p10 %.6g, p99 %.6g (numpy linear percentiles)%n", s.p10(),
                s.p99()));
        b.append(String.format(Locale.ROOT, "  normalised mean %.4f (of 0..255)", s.normalisedMean()));
        return b.toString();
    }
}
