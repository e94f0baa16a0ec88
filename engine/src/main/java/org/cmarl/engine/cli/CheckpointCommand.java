package org.cmarl.engine.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.cmarl.engine.io.CheckpointInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlm checkpoint FILE [--json]}: what a .pt file holds, without running anything in it. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
        description = {"Inspect a PyTorch .pt checkpoint (legacy or zip format): format, implied architecture "
                + "(model, agents, attention), and every tensor's name, shape, dtype, sum and SHA-256.",
                "The file is read with a restricted unpickler: only tensors and plain containers, nothing executed."})
final class CheckpointCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The .pt file.")
    Path file;

    @Option(names = "--json", description = "One JSON object: format, model, agents, attention, tensors "
            + "[{name, shape, dtype, sum, sha256}].")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CheckpointInspector.Inspection inspection = CheckpointInspector.inspect(file);
        spec.commandLine().getOut().println(json ? inspection.toJson() : inspection.toTable());
        return 0;
    }
}
