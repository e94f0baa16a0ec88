package org.cmarl.engine.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.CheckpointException;
import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.StepLrState;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.io.TrainingCheckpoint;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.train.TrainConfig;
import org.cmarl.engine.train.TrainingCheckpoints;

/**
 * What {@code --load} and {@code --resume} must hold before a run starts, checked before any image is loaded or
 * folder created: finite weights, and for {@code --resume} counters in range and an optimiser state that fits the
 * network (tried on a probe learner, exactly as the resumed run will load it). Every failure is a
 * {@link BadInputException} naming the file.
 */
final class CheckpointChecks {
    private CheckpointChecks() {
    }

    /**
     * Builds the network the flags describe and loads the checkpoint into it: an architecture or agent count that
     * disagrees with the flags is reported before any image is loaded.
     */
    static void checkFits(NetworkConfig config, Map<String, TensorData> weights, Path file) {
        if (weights == null) {
            return;
        }
        try (QNetwork probe = QNetwork.create(config, 0, Device.CPU)) {
            probe.loadStateDict(weights);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage());
        }
    }

    /** The online network's weights of a checkpoint: a training checkpoint's, or the bare state_dict. */
    static Map<String, TensorData> weightsOf(Checkpoint c) throws IOException {
        return c.isTrainingCheckpoint() ? c.training().qNetwork() : c.stateDict();
    }

    /** Rejects a NaN or infinite value in any floating-point tensor of {@code weights}. */
    static void finite(Map<String, TensorData> weights, Path file, String what) {
        for (Map.Entry<String, TensorData> e : weights.entrySet()) {
            long bad = firstNonFinite(e.getValue());
            if (bad >= 0) {
                throw new BadInputException(file + ": " + what + " tensor " + e.getKey() + " holds a non-finite value ("
                        + valueAt(e.getValue(), bad) + " at element " + bad + "); weights must be finite");
            }
        }
    }

    /** Index of the first NaN or infinity of a float32/float64 tensor, or -1 (integer tensors are always finite). */
    static long firstNonFinite(TensorData t) {
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        long n = t.numel();
        switch (t.dtype()) {
            case FLOAT32 -> {
                for (int i = 0; i < n; i++) {
                    if (!Float.isFinite(b.getFloat(4 * i))) {
                        return i;
                    }
                }
            }
            case FLOAT64 -> {
                for (int i = 0; i < n; i++) {
                    if (!Double.isFinite(b.getDouble(8 * i))) {
                        return i;
                    }
                }
            }
            case FLOAT16, BFLOAT16 -> {
                // exponent all ones is an infinity or a NaN in both 16-bit formats
                int exponentMask = t.dtype() == DType.FLOAT16 ? 0x7C00 : 0x7F80;
                for (int i = 0; i < n; i++) {
                    if ((b.getShort(2 * i) & exponentMask) == exponentMask) {
                        return i;
                    }
                }
            }
            default -> {
            }
        }
        return -1;
    }

    private static String valueAt(TensorData t, long i) {
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        return switch (t.dtype()) {
            case FLOAT32 -> Float.toString(b.getFloat((int) (4 * i)));
            case FLOAT64 -> Double.toString(b.getDouble((int) (8 * i)));
            default -> "NaN or infinity";
        };
    }

    /**
     * Everything {@code --resume} restores, checked on its own before the run starts: both networks' weights
     * finite, the counters in range, the scheduler and engine state well typed, and the optimiser state loaded into
     * a probe learner of the configured network (the shapes and the number of parameters must match).
     */
    static void resumable(Checkpoint checkpoint, NetworkConfig netConfig, TrainConfig config) {
        Path file = checkpoint.file();
        TrainingCheckpoint t;
        try {
            t = checkpoint.training();
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage());
        }
        finite(t.qNetwork(), file, "online network");
        finite(t.targetNetwork(), file, "target network");
        checkFits(netConfig, t.targetNetwork(), file);
        // the published 'episode' is the last finished episode (0: stopped before the first one ended)
        if (t.episode() < 0 || t.episode() > Integer.MAX_VALUE) {
            throw new BadInputException(file + ": 'episode' is " + t.episode() + ", expected 0.." + Integer.MAX_VALUE
                    + " (the episodes finished)");
        }
        if (!(t.eps() >= 0 && t.eps() <= 1)) {
            throw new BadInputException(file + ": 'eps' is " + t.eps() + ", expected an epsilon in [0, 1]");
        }
        if (t.accSteps() < 0) {
            throw new BadInputException(file + ": 'acc_steps' is " + t.accSteps() + ", expected 0 or more");
        }
        Object root = checkpoint.root();
        if (root instanceof Map<?, ?> m && m.containsKey(TrainingCheckpoints.ENGINE_STATE_KEY)) {
            if (!(m.get(TrainingCheckpoints.ENGINE_STATE_KEY) instanceof Map<?, ?> e)) {
                throw new BadInputException(file + ": '" + TrainingCheckpoints.ENGINE_STATE_KEY
                        + "' is not a dict");
            }
            if (!e.containsKey("episodes_done") && t.episode() < 1) {
                // an older engine's checkpoint: its 'episode' was the next episode to run, counted from 1
                throw new BadInputException(file + ": 'episode' is " + t.episode() + ", expected 1.."
                        + Integer.MAX_VALUE + " in a checkpoint without 'rlm_state' episodes_done (the next episode"
                        + " to run)");
            }
            long epoch = whole(e, "epoch", file);
            if (epoch < 0 || epoch > Integer.MAX_VALUE) {
                throw new BadInputException(file + ": 'rlm_state' epoch is " + epoch + ", expected 0.."
                        + Integer.MAX_VALUE);
            }
            double best = real(e, "best_validation_mm", file);
            if (!(best >= 0)) {
                throw new BadInputException(file + ": 'rlm_state' best_validation_mm is " + best
                        + ", expected a distance of 0 mm or more (or inf)");
            }
            learningRate(real(e, "learning_rate", file), file, "'rlm_state' learning_rate");
        } else {
            StepLrState scheduler;
            try {
                scheduler = StepLrState.fromPython(t.schedulerState(), file);
            } catch (CheckpointException ex) {
                throw new BadInputException(ex.getMessage());
            }
            if (scheduler.lastEpoch() < 0 || scheduler.lastEpoch() > Integer.MAX_VALUE) {
                throw new BadInputException(file + ": scheduler 'last_epoch' is " + scheduler.lastEpoch()
                        + ", expected 0.." + Integer.MAX_VALUE);
            }
            learningRate(scheduler.lastLr(), file, "scheduler '_last_lr'");
        }
        AdamState adam;
        try {
            adam = AdamState.fromPython(t.optimiserState(), file);
        } catch (CheckpointException ex) {
            throw new BadInputException(ex.getMessage());
        }
        for (int i = 0; i < adam.params().size(); i++) {
            AdamState.ParamState p = adam.params().get(i);
            if (p == null) {
                continue;
            }
            if (!(p.step() >= 0) || Float.isInfinite(p.step())) {
                throw new BadInputException(file + ": optimiser 'step' of parameter " + i + " is " + p.step()
                        + ", expected 0 or more");
            }
            finite(Map.of("exp_avg of parameter " + i, p.expAvg(), "exp_avg_sq of parameter " + i, p.expAvgSq()),
                    file, "optimiser");
        }
        try (QNetwork online = QNetwork.create(netConfig, 0, Device.CPU);
             QNetwork target = QNetwork.create(netConfig, 0, Device.CPU);
             DqnLearner probe = new DqnLearner(online, target, config.learningRate(), config.teamReward(),
                     config.effectiveMicroBatch())) {
            probe.loadOptimiserState(adam);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": optimiser state does not fit the network: " + e.getMessage());
        }
    }

    private static void learningRate(double lr, Path file, String what) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new BadInputException(file + ": " + what + " is " + lr + ", expected a positive learning rate");
        }
    }

    private static long whole(Map<?, ?> m, String key, Path file) {
        if (m.get(key) instanceof Long l) {
            return l;
        }
        throw new BadInputException(file + ": 'rlm_state' " + key + " is not an int");
    }

    private static double real(Map<?, ?> m, String key, Path file) {
        Object v = m.get(key);
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw new BadInputException(file + ": 'rlm_state' " + key + " is not a number");
    }
}
