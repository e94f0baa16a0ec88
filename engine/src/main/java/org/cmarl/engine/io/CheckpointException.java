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

    /**
     * Longest reason kept: a crafted file must not make the engine print megabytes (its bytes may end up quoted in
     * the reason); the rest is cut and counted.
     */
    static final int MAX_REASON_CHARS = 400;

    public CheckpointException(Path file, String reason) {
        this(file, reason, null);
    }

    public CheckpointException(Path file, String reason, Throwable cause) {
        super(printable(String.valueOf(file), Integer.MAX_VALUE) + ": " + printable(reason, MAX_REASON_CHARS), cause);
        this.file = file;
        this.reason = printable(reason, MAX_REASON_CHARS);
    }

    /**
     * {@code text} safe for one terminal line: control characters (NUL, newline, escape...), line and paragraph
     * separators and bidirectional overrides are escaped as backslash-u and four hex digits ({@code \n}, {@code \t}, {@code \0}
     * for the common ones), and the result is cut after {@code maxChars} characters with a note of how many were
     * left out.
     */
    static String printable(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(text.length(), maxChars) + 16);
        int i = 0;
        for (; i < text.length() && sb.length() < maxChars; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\0' -> sb.append("\\0");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
                            || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        if (i < text.length()) {
            sb.append("... (").append(text.length() - i).append(" more characters)");
        }
        return sb.toString();
    }

    /** The checkpoint file concerned. */
    public Path file() { return file; }

    /** Why it was rejected, without the file name. */
    public String reason() { return reason; }
}
