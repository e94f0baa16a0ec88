package org.cmarl.engine.volume;

/**
 * An image, landmark or list file that cannot be used: missing, not the expected format, truncated, out of the
 * supported range, or degenerate (NaN voxels, constant image). The message names the file, the offending value and
 * what was expected. Thrown before anything is allocated when the header alone shows the problem; when thrown later,
 * everything allocated so far has been freed (no partial state).
 */
public class ImageFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageFormatException(String message) {
        super(message);
    }

    public ImageFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
