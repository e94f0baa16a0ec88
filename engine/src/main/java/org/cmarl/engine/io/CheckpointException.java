package org.cmarl.engine.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file that cannot be read or written: missing, truncated, corrupt, or using something the restricted
 * reader refuses (a Python global outside the allow-list, an unknown pickle opcode, a storage out of range...).
 *
 * <p>Every failure of {@link PtReader}, {@link PtWriter} and {@link CheckpointInspector} is this exception, never an
 * {@link OutOfMemoryError}, NPE or index error. The message is one line: {@code "<file>: <reason>"}, ready for the
 * command line (which exits with code 2 on it).
 */
public final class CheckpointException extends IOException {
    private final transient Path file;
    private final String reason;

    public CheckpointException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
        this.reason = reason;
    }

    public CheckpointException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    /** The checkpoint file concerned. */
    public Path file() { return file; }

    /** Why it was rejected, without the file name. */
    public String reason() { return reason; }
}
