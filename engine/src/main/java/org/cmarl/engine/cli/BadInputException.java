package org.cmarl.engine.cli;

/** A problem with what the user asked for, reported as one line and exit code 2. */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }
}
