package org.cmarl.engine.env;

import org.cmarl.engine.observation.FrameType;

/**
 * Settings of a {@link LandmarkEnv} that do not change between episodes.
 *
 * @param mode                TRAIN, EVAL or PLAY (SPEC.md section 3)
 * @param agents              number of agents, at least 1 (any landmark each, repeats allowed)
 * @param multiscale          start at scale 3 / step 9 and step down on oscillation; else scale 1 / step 1. The
 *                            published evaluation and play always use multiscale; training only with --multiscale
 * @param frameType           what the ROI frames hold: FLOAT32 (evaluation input) or UINT8 (replay path)
 * @param maxStepsPerEpisode  the episode is over after this many steps (published default 200); at least 1
 * @param freezeDoneAgents    TRAIN only. false (published): every agent keeps acting and the terminal flag is
 *                            re-evaluated every step (not sticky); true: an agent flagged terminal stays put
 *                            (its actions become no-ops with reward 0) and stays terminal for the rest of the episode
 * @param decimatedScales     read scale-2 and scale-3 ROIs through {@link DecimatedPlane}s (same bytes): each row of
 *                            a decimated phase is gathered from the image the first time a ROI needs it, after which
 *                            ROIs on that image cost about what a scale-1 ROI costs (2-4x less than strided reads).
 *                            Memory: the phases used, at most one plane's worth per scale (float32 182 x 218 x 182:
 *                            29 MB per scale). On in Trainer and Evaluator ({@link #acting}; measured in
 *                            EnvStepBenchmark, also with the image changing every episode); false in the 6-argument
 *                            constructor and {@link #evaluation}: strided reads straight from the volume, no extra
 *                            memory
 */
public record EnvConfig(Mode mode, int agents, boolean multiscale, FrameType frameType, int maxStepsPerEpisode,
                        boolean freezeDoneAgents, boolean decimatedScales) {
    /** Published default for {@code --steps_per_episode}. */
    public static final int DEFAULT_MAX_STEPS_PER_EPISODE = 200;

    /** Without decimated planes. */
    public EnvConfig(Mode mode, int agents, boolean multiscale, FrameType frameType, int maxStepsPerEpisode,
                     boolean freezeDoneAgents) {
        this(mode, agents, multiscale, frameType, maxStepsPerEpisode, freezeDoneAgents, false);
    }

    public EnvConfig {
        if (mode == null) {
            throw new IllegalArgumentException("mode is null, expected TRAIN, EVAL or PLAY");
        }
        if (agents < 1) {
            throw new IllegalArgumentException("agents=" + agents + ", expected >= 1");
        }
        if (frameType == null) {
            throw new IllegalArgumentException("frameType is null, expected FLOAT32 or UINT8");
        }
        if (maxStepsPerEpisode < 1) {
            throw new IllegalArgumentException("maxStepsPerEpisode=" + maxStepsPerEpisode + ", expected >= 1");
        }
        if (freezeDoneAgents && mode != Mode.TRAIN) {
            throw new IllegalArgumentException("freezeDoneAgents applies to TRAIN only, mode=" + mode);
        }
    }

    /**
     * How the engine's trainer and evaluator act: float32 frames (written straight into the network input), agents
     * that are done keep acting (published), scale-2 and scale-3 ROIs read through decimated planes.
     */
    public static EnvConfig acting(Mode mode, int agents, boolean multiscale, int maxStepsPerEpisode) {
        return new EnvConfig(mode, agents, multiscale, FrameType.FLOAT32, maxStepsPerEpisode, false, true);
    }

    /** Published evaluation / play: multiscale, float frames, 200 steps. */
    public static EnvConfig evaluation(Mode mode, int agents) {
        return new EnvConfig(mode, agents, true, FrameType.FLOAT32, DEFAULT_MAX_STEPS_PER_EPISODE, false, false);
    }
}
