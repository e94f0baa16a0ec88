package org.cmarl.engine.env;

/** What an episode is for; decides rewards, the terminal rule and the spawn margin (SPEC.md section 3). */
public enum Mode {
    /** Rewards, the distance terminal rule, random spawn margin {@code int(dim / 5)}. */
    TRAIN,
    /** Rewards and distances, no distance terminal, random spawn margin {@code int(dim / 4)}. */
    EVAL,
    /** No landmarks: no rewards, distances reported as 0, random spawn margin {@code int(dim / 4)}. */
    PLAY
}
