package org.cmarl.engine.dist;

/**
 * Another rank of a multi-process run died, hung past {@code --dist_timeout}, or could not be reached: this rank
 * stops. The message is the one line the user sees, naming the rank ("rank 1 unreachable ...").
 */
public final class PeerFailureException extends RuntimeException {
    public PeerFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
