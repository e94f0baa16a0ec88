package org.cmarl.engine.viz;

import java.io.IOException;

/**
 * A {@code progress.csv} that cannot be plotted (no header, a cell that is not a number, a missing column): bad
 * input, reported by the command line as one line naming the file, the line and the cell, exit code 2.
 */
public final class ProgressFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProgressFormatException(String message) {
        super(message);
    }
}
