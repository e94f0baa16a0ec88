package org.cmarl.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.cmarl.engine.viz.ProgressPlot;
import org.cmarl.engine.viz.ProgressTable;
import org.cmarl.engine.volume.FileProblem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlm plot RUN_DIR}: a training run's progress.csv as a PNG. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Render a training run's progress.csv to RUN_DIR/progress.png: final distance (train and "
                + "validation, mean and per agent) and loss per epoch.")
final class PlotCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A training run folder (contains progress.csv).")
    Path runDir;

    @Option(names = "--out", paramLabel = "PNG", description = "Where to write the plot (default: RUN_DIR/progress.png).")
    Path out;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(runDir)) {
            throw new BadInputException(runDir + " is not a folder (expected a training run folder)");
        }
        Path csv = runDir.resolve("progress.csv");
        String unreadable = FileProblem.whyNotReadable(csv);
        if (unreadable != null) {
            throw new BadInputException(csv + ": " + unreadable + " (plot needs a training run folder, made by "
                    + "--task train)");
        }
        Path png = out != null ? out : runDir.resolve("progress.png");
        Path folder = png.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new BadInputException("--out " + png + ": folder " + folder + (folder != null && Files.exists(folder)
                    ? " is not a folder" : " does not exist"));
        }
        if (!Files.isWritable(folder)) {
            throw new BadInputException("--out " + png + ": folder " + folder + " is not writable");
        }
        ProgressTable table = ProgressPlot.write(runDir, png);
        PrintWriter w = spec.commandLine().getOut();
        w.println("plot of " + table.rows() + " epoch" + (table.rows() == 1 ? "" : "s") + ": " + png);
        return 0;
    }
}
