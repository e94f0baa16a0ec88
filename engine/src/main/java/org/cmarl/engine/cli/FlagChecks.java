package org.cmarl.engine.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;

/**
 * Checks of numeric and named flags shared by the commands, each failing with a {@link BadInputException} that names
 * the flag, the value and what is expected (picocli has already rejected what is not a number at all).
 */
final class FlagChecks {
    /** More libtorch threads than this is a typo, not a machine. */
    static final int MAX_THREADS = 4096;
    /** Evaluation episodes advanced together; each holds a few MB of observations. */
    static final int MAX_BATCH_EPISODES = 65536;

    private FlagChecks() {
    }

    /** {@code --threads}, {@code --batch_episodes} (null: default) and {@code --steps_per_episode}. */
    static void common(Integer threads, Integer batchEpisodes, int stepsPerEpisode) {
        if (threads != null && (threads < 1 || threads > MAX_THREADS)) {
            throw new BadInputException("--threads " + threads + " must be 1.." + MAX_THREADS);
        }
        if (batchEpisodes != null && (batchEpisodes < 1 || batchEpisodes > MAX_BATCH_EPISODES)) {
            throw new BadInputException("--batch_episodes " + batchEpisodes + " must be 1.." + MAX_BATCH_EPISODES);
        }
        if (stepsPerEpisode < 1) {
            throw new BadInputException("--steps_per_episode " + stepsPerEpisode + " must be at least 1");
        }
    }

    /** Landmark ids are rows of the landmark file, counted from 0. */
    static void landmarkIds(String flag, List<Integer> ids) {
        for (int id : ids) {
            if (id < 0) {
                throw new BadInputException(flag + " " + id + ": landmark ids are rows of the landmark file, "
                        + "counted from 0");
            }
        }
    }

    static void nonNegativeFinite(String flag, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new BadInputException(flag + " " + v + " must be a finite number, 0 or more");
        }
    }

    /** The network the flags describe; a combination the network cannot have (--attention without CommNet). */
    static NetworkConfig network(Architecture architecture, int agents, boolean attention, boolean teamAttention) {
        try {
            return new NetworkConfig(architecture, agents, attention, teamAttention);
        } catch (IllegalArgumentException e) {
            // NetworkConfig checks exactly these four values, all from flags
            throw new BadInputException(e.getMessage());
        }
    }

    /** {@code --device}: cpu, cuda or auto. */
    static Device device(String name, PrintStream notice) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!List.of("cpu", "cuda", "gpu", "auto").contains(n)) {
            throw new BadInputException("--device '" + name + "' is unknown, expected cpu, cuda or auto");
        }
        try {
            return Device.parse(n, notice);
        } catch (IllegalArgumentException e) {
            // Device says why CUDA is unusable here (CPU build, no driver, no device): the user's flag, not a defect
            throw new BadInputException(e.getMessage());
        }
    }

    /** The spawn of the triple starting at {@code i} of {@code --fixed_spawn}; fractions in [0, 1]. */
    static Spawn spawn(List<Double> fractions, int i) {
        for (int k = i; k < i + 3; k++) {
            double f = fractions.get(k);
            if (!(f >= 0 && f <= 1)) {
                throw new BadInputException("--fixed_spawn value " + f + " (triple " + (i / 3 + 1) + ", "
                        + "xyz".charAt(k - i) + ") is outside [0, 1]");
            }
        }
        return Spawn.fixed(fractions.get(i), fractions.get(i + 1), fractions.get(i + 2));
    }
}
