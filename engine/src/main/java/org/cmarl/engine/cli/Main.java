package org.cmarl.engine.cli;

import java.io.PrintWriter;
import java.io.IOException;
import java.io.UncheckedIOException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code rlm} command line. Subcommands do the work; this class only wires them and turns errors into one
 * line and an exit code: 2 for bad input (wrong flag, unreadable file, invalid data), 1 for an internal error
 * (with the stack trace only when {@code RLM_DEBUG=1}).
 */
@Command(name = "rlm",
        mixinStandardHelpOptions = true,
        version = "rlm 0.1.0 (C-MARL landmark engine on libtorch)",
        description = "Multi-agent reinforcement learning for anatomical landmark detection in 3D images.",
        subcommands = {
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for input the user can fix: bad flags, unreadable or invalid files. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for a failure of the engine itself. */
    public static final int EXIT_INTERNAL = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (for tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(out);
        cmd.setErr(err);
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

    /** Exceptions that describe the user's input rather than a defect of the engine. */
    static boolean isBadInput(Throwable ex) {
        return ex instanceof IllegalArgumentException
                || ex instanceof IOException
                || ex instanceof UncheckedIOException
                || ex instanceof BadInputException;
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
