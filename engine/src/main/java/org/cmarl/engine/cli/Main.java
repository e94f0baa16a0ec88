package org.cmarl.engine.cli;

import java.io.PrintWriter;
import java.io.IOException;
import java.io.UncheckedIOException;

import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code rlm} command line. Subcommands do the work; this class only wires them and turns errors into one
 * line and an exit code: 2 for bad input (wrong flag, unreadable file, invalid data), 1 for an internal error
 * (with the stack trace only when {@code RLM_DEBUG=1}).
 */
@Command(name = "rlm",
        mixinStandardHelpOptions = true,
        abbreviateSynopsis = true,
        sortOptions = false,
        version = "rlm 0.1.0 (C-MARL landmark engine on libtorch)",
        description = "Multi-agent reinforcement learning for anatomical landmark detection in 3D images.",
        subcommands = {
                DemoCommand.class,
                InfoCommand.class,
                SynthCommand.class,
                CheckpointCommand.class,
                PlotCommand.class,
                ReportCommand.class,
                VisualiseCommand.class,
                EvaluateModelsCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"",
                "Published usage (DQN.py flags unchanged), e.g.:",
                "  rlm --task eval --load models/BrainMRI/SingleAgent.pt \\",
                "      --model_name Network3d --landmarks 13 \\",
                "      --files data/sample/brain/image_files.txt \\",
                "              data/sample/brain/landmark_files.txt \\",
                "      --fixed_spawn 0.5 0.5 0.5 --write"})
public final class Main implements java.util.concurrent.Callable<Integer> {
    /** Exit code for input the user can fix: bad flags, unreadable or invalid files. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for a failure of the engine itself. */
    public static final int EXIT_INTERNAL = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    RunOptions options = new RunOptions();

    @Override
    public Integer call() throws Exception {
        List<String> given = spec.commandLine().getParseResult().originalArgs();
        if (given.isEmpty()) {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
        java.io.PrintStream out = new java.io.PrintStream(new WriterOutputStream(spec.commandLine().getOut()), true,
                java.nio.charset.StandardCharsets.UTF_8);
        return new RunCommand(options, out, "rlm " + String.join(" ", given)).run();
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (for tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(out);
        cmd.setErr(err);
        if (args.length == 1 && cmd.getSubcommands().containsKey(args[0])) {
            CommandLine sub = cmd.getSubcommands().get(args[0]);
            if (needsArguments(sub.getCommandSpec())) {
                // a command that cannot run without arguments, given none: the user is asking what it takes
                sub.usage(out);
                out.flush();
                return 0;
            }
        }
        cmd.setParameterExceptionHandler((ex, a) -> {
            err.println("rlm: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_BAD_INPUT;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (isBadInput(ex)) {
                err.println("rlm: " + message(ex));
                return EXIT_BAD_INPUT;
            }
            err.println("rlm: internal error: " + message(ex));
            if ("1".equals(System.getenv("RLM_DEBUG"))) {
                ex.printStackTrace(err);
            } else {
                err.println("(set RLM_DEBUG=1 for the stack trace)");
            }
            return EXIT_INTERNAL;
        });
        return cmd.execute(args);
    }

    /** Whether the command has a required option, parameter or option group (so that it cannot run bare). */
    static boolean needsArguments(CommandLine.Model.CommandSpec spec) {
        return !spec.requiredArgs().isEmpty()
                || spec.argGroups().stream().anyMatch(g -> g.multiplicity().min() > 0);
    }

    /** Exceptions that describe the user's input rather than a defect of the engine. */
    static boolean isBadInput(Throwable ex) {
        return ex instanceof IllegalArgumentException
                || ex instanceof IOException
                || ex instanceof UncheckedIOException
                || ex instanceof BadInputException
                || ex instanceof org.cmarl.engine.volume.ImageFormatException;
    }

    private static String message(Throwable ex) {
        String m = ex.getMessage();
        if (ex instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + m;
        }
        if (ex instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + m;
        }
        return m == null ? ex.getClass().getSimpleName() : m;
    }
}
