package org.cmarl.engine.volume;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Why a file the user named cannot be read, in words ("no such file", "is a folder, not a file", "permission
 * denied"), for one-line errors that never show a Java exception class name.
 */
public final class FileProblem {
    private FileProblem() {
    }

    /** Why {@code file} is not a readable regular file, or null when it is one. */
    public static String whyNotReadable(Path file) {
        if (Files.isRegularFile(file)) {
            return Files.isReadable(file) ? null : "permission denied";
        }
        if (Files.isDirectory(file)) {
            return "is a folder, not a file";
        }
        if (Files.exists(file)) {
            return "is not a regular file";
        }
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? "broken symbolic link" : "no such file";
    }

    /** What went wrong reading {@code file}, from the exception but in words. */
    public static String describe(Path file, IOException e) {
        String why = whyNotReadable(file);
        if (why != null) {
            return why;
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return "read failed: " + f.getReason();
        }
        if (e instanceof CharacterCodingException) {
            return "not UTF-8 text";
        }
        return "read failed" + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
