package org.cmarl.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.cmarl.engine.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlm report RUN_DIR}: one self-contained HTML page about a training or evaluation run folder. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write RUN_DIR/report.html: the configuration, the curves, the per-agent distance table and "
                + "the worst episodes with their GIFs, in one self-contained file (images inline). Training and "
                + "evaluation write it themselves when they end (with --write).")
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A run folder (progress.csv and/or results.csv).")
    Path runDir;

    @Option(names = "--out", paramLabel = "HTML", description = "Where to write the page (default: RUN_DIR/report.html).")
    Path out;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(runDir)) {
            throw new BadInputException(runDir + " is not a folder (expected a run folder)");
        }
        if (!Files.isRegularFile(runDir.resolve("progress.csv")) && !Files.isRegularFile(runDir.resolve("results.csv"))) {
            throw new BadInputException(runDir + " has neither progress.csv nor results.csv (a run folder written "
                    + "with --write)");
        }
        Path html = out != null ? out : runDir.resolve(RunReport.FILE_NAME);
        Path folder = html.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder) || !Files.isWritable(folder)) {
            throw new BadInputException("--out " + html + ": folder " + folder + " does not exist or is not writable");
        }
        spec.commandLine().getOut().println("report: " + RunReport.write(runDir, html));
        return 0;
    }
}
