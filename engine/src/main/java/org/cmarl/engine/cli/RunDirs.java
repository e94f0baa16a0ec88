package org.cmarl.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Run folders under {@code --log_dir}: {@code <yyyyMMdd-HHmmss>-<name>}, with {@code -2}, {@code -3}... if taken. */
final class RunDirs {
    private RunDirs() {
    }

    /**
     * Creates a fresh run folder.
     *
     * @throws BadInputException when {@code logDir} cannot hold it
     */
    static Path create(Path logDir, String name) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
        Path base = logDir.resolve(stamp + "-" + name);
        Path dir = base;
        for (int i = 2; Files.exists(dir); i++) {
            dir = Path.of(base + "-" + i);
        }
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new BadInputException("--log_dir " + logDir + " is not writable: cannot create " + dir);
        }
        if (!Files.isWritable(dir)) {
            throw new BadInputException("--log_dir " + logDir + " is not writable");
        }
        return dir;
    }
}
