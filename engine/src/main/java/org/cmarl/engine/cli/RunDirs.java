package org.cmarl.engine.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Run folders under {@code --log_dir}: {@code <yyyyMMdd-HHmmss>-<name>}, with {@code -2}, {@code -3}... if taken. */
final class RunDirs {
    private RunDirs() {
    }

    /** Different names tried for one second's run folder before giving up. */
    static final int MAX_ATTEMPTS = 10_000;

    /**
     * Checks, without creating anything, that a run folder could be created under {@code logDir}: the nearest
     * existing folder on its path is a writable folder.
     *
     * @throws BadInputException naming {@code --log_dir} and what is wrong
     */
    static void checkCreatable(Path logDir) {
        Path p = logDir.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            throw new BadInputException("--log_dir " + logDir + " cannot be created");
        }
        if (!Files.isDirectory(p)) {
            throw new BadInputException("--log_dir " + logDir + ": " + p + " is not a folder");
        }
        if (!Files.isWritable(p)) {
            throw new BadInputException("--log_dir " + logDir + ": folder " + p + " is not writable");
        }
    }

    /**
     * Creates a fresh run folder atomically: {@code Files.createDirectory} either creates the folder or fails
     * because it exists, so two runs started in the same second (in one process or several) never share one; the
     * second gets the next free suffix.
     *
     * @throws BadInputException when {@code logDir} cannot hold it
     */
    static Path create(Path logDir, String name) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
        Path base = logDir.resolve(stamp + "-" + name);
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new BadInputException("--log_dir " + logDir + " cannot be created: " + Main.message(e));
        }
        for (int i = 1; i <= MAX_ATTEMPTS; i++) {
            Path dir = i == 1 ? base : Path.of(base + "-" + i);
            try {
                return Files.createDirectory(dir);
            } catch (FileAlreadyExistsException taken) {
                // another run (or a file) has this name: try the next suffix
            } catch (IOException e) {
                throw new BadInputException("--log_dir " + logDir + ": cannot create a run folder: "
                        + Main.message(e));
            }
        }
        throw new BadInputException("--log_dir " + logDir + ": " + MAX_ATTEMPTS + " run folders named " + base
                + "[-N] exist already");
    }
}
