package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.cmarl.engine.dist.PeerFailureException;
import org.cmarl.engine.volume.ImageFormatException;
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
                LaunchCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"",
                "Published usage (DQN.py flags unchanged), e.g.:",
                "  rlm --task eval --load models/BrainMRI/SingleAgent.pt \\",
                "      --model_name Network3d --landmarks 13 \\",
                "      --files data/sample/brain/image_files.txt \\",
                "              data/sample/brain/landmark_files.txt \\",
                "      --fixed_spawn 0.5 0.5 0.5 --write"})
public final class Main implements Callable<Integer> {
    /** Exit code for input the user can fix: bad flags, unreadable or invalid files. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for a failure of the engine itself. */
    public static final int EXIT_INTERNAL = 1;
    /** Exit code of a rank of a multi-process run that stopped because another rank died, hung or was unreachable. */
    public static final int EXIT_PEER_FAILED = 3;

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
        PrintStream out = new PrintStream(new WriterOutputStream(spec.commandLine().getOut()), true,
                StandardCharsets.UTF_8);
        return new RunCommand(options, out, "rlm " + String.join(" ", given)).run();
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (for tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = "1".equals(System.getenv("RLM_DEBUG"));
        return execute(commandLine(out, err, debug), args, err, debug);
    }

    /**
     * Executes {@code cmd}; a {@link VirtualMachineError} (out of memory, stack overflow), which picocli lets
     * through, is an internal error too: one line, exit 1, the trace under {@code RLM_DEBUG=1}.
     */
    static int execute(CommandLine cmd, String[] args, PrintWriter err, boolean debug) {
        if (args.length == 1 && cmd.getSubcommands().containsKey(args[0])) {
            CommandLine sub = cmd.getSubcommands().get(args[0]);
            if (needsArguments(sub.getCommandSpec())) {
                // a command that cannot run without arguments, given none: the user is asking what it takes
                sub.usage(cmd.getOut());
                cmd.getOut().flush();
                return 0;
            }
        }
        try {
            return cmd.execute(args);
        } catch (VirtualMachineError e) {
            err.println("rlm: internal error: " + (e instanceof OutOfMemoryError
                    ? "out of memory (" + message(e) + "); a larger -Xmx may help" : message(e))
                    + " (please report it)");
            if (debug) {
                e.printStackTrace(err);
            } else {
                err.println("(set RLM_DEBUG=1 for the stack trace)");
            }
            err.flush();
            return EXIT_INTERNAL;
        }
    }

    /**
     * The command line with its error handling: picocli's parameter errors and the engine's bad-input exceptions
     * are one line and {@link #EXIT_BAD_INPUT}; anything else is an internal error, {@link #EXIT_INTERNAL}, with
     * the stack trace when {@code debug} ({@code RLM_DEBUG=1}).
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, boolean debug) {
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
            if (ex instanceof PeerFailureException) {
                err.println("rlm: " + ex.getMessage());
                return EXIT_PEER_FAILED;
            }
            if (isBadInput(ex)) {
                err.println("rlm: " + message(ex));
                return EXIT_BAD_INPUT;
            }
            err.println("rlm: internal error: " + message(ex) + " (please report it)");
            if (debug) {
                ex.printStackTrace(err);
            } else {
                err.println("(set RLM_DEBUG=1 for the stack trace)");
            }
            return EXIT_INTERNAL;
        });
        return cmd;
    }

    /** Whether the command has a required option, parameter or option group (so that it cannot run bare). */
    static boolean needsArguments(CommandLine.Model.CommandSpec spec) {
        return !spec.requiredArgs().isEmpty()
                || spec.argGroups().stream().anyMatch(g -> g.multiplicity().min() > 0);
    }

    /**
     * Exceptions that describe the user's input or environment rather than a defect of the engine: the engine's own
     * bad-input exceptions (flags, images, landmark and list files, checkpoints) and file-system errors (a missing,
     * unreadable or unwritable file, a full disk). An {@link IllegalArgumentException} is not among them: input is
     * checked at the edges and reported with the engine's exceptions, so one that reaches this point is a defect.
     */
    static boolean isBadInput(Throwable ex) {
        return ex instanceof BadInputException
                || ex instanceof ImageFormatException
                || ex instanceof IOException
                || ex instanceof UncheckedIOException;
    }

    /** One line for the user: the exception's message, file-system errors in words (no Java class names). */
    static String message(Throwable ex) {
        if (ex instanceof UncheckedIOException u && u.getCause() != null) {
            String own = u.getMessage();
            String cause = message(u.getCause());
            // UncheckedIOException(cause) repeats the cause's toString() as its message
            return own == null || own.startsWith(u.getCause().getClass().getName()) ? cause
                    : own.contains(cause) ? own : own + ": " + cause;
        }
        if (ex instanceof FileSystemException f) {
            return fileSystemMessage(f);
        }
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            if (ex instanceof IOException) {
                return "input/output error";
            }
            StackTraceElement[] at = ex.getStackTrace();
            return "unexpected failure" + (at.length == 0 ? "" : " at " + at[0].getClassName() + "."
                    + at[0].getMethodName() + " line " + at[0].getLineNumber());
        }
        return m;
    }

    /** e.g. "runs/x: permission denied", "a.pt: is a folder, not a file", "out: no space left on device". */
    static String fileSystemMessage(FileSystemException f) {
        String file = f.getFile();
        String what;
        if (f instanceof NoSuchFileException) {
            what = "no such file or folder";
        } else if (f instanceof AccessDeniedException) {
            what = "permission denied";
        } else if (f instanceof FileAlreadyExistsException) {
            what = "already exists";
        } else if (f instanceof NotDirectoryException) {
            what = "is not a folder";
        } else if (f instanceof DirectoryNotEmptyException) {
            what = "folder is not empty";
        } else if (f instanceof NotLinkException) {
            what = "is not a symbolic link";
        } else if (f instanceof FileSystemLoopException) {
            what = "symbolic link loop";
        } else {
            String reason = f.getReason();
            what = reason == null || reason.isBlank() ? "input/output error"
                    : reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
        }
        if (f.getOtherFile() != null) {
            return (file == null ? "" : file + " -> ") + f.getOtherFile() + ": " + what;
        }
        return file == null ? what : file + ": " + what;
    }
}
