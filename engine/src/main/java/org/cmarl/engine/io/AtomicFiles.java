package org.cmarl.engine.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Output files written whole or not at all: a hidden temporary file {@code .<name>.<hex>.tmp} beside the target,
 * flushed to disk, renamed over the target, then the folder itself flushed so that the rename survives a power
 * loss. The temporary file is created like any other file (mode 0666 less the umask, so usually 0644), not with
 * {@link Files#createTempFile}, whose owner-only 0600 the renamed output would keep.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes the bytes {@code content} produces. */
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code file} atomically; on failure the target is untouched and the temporary file deleted.
     *
     * @throws java.nio.file.AtomicMoveNotSupportedException when the folder's file system cannot rename atomically
     */
    public static void write(Path file, Content content) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = null;
        try {
            Path candidate = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime())
                    + ".tmp");
            FileChannel opened = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            temp = candidate; // ours from here on: deleted if anything below fails
            try (FileChannel channel = opened) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            syncDirectory(dir);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the original error is what matters
                }
            }
        }
    }

    /** Why a write failed, in words without the exception's class name ("No space left on device"). */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? "input/output error" : e.getMessage();
    }

    /**
     * Flushes a folder's entries (a rename into it) to disk. POSIX file systems allow it through a read-only
     * descriptor of the folder; where the platform refuses to open or flush a folder (Windows) there is nothing
     * more to do, so that failure is ignored.
     */
    public static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException notSupported) {
            // folders cannot be opened or flushed on this platform: the rename is as durable as it gets
        }
    }
}
