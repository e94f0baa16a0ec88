package org.cmarl.engine.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The published training checkpoint: the dict that the published trainer passes to {@code torch.save}, with the
 * online and target network weights, the optimiser and scheduler states, and the counters needed to resume.
 *
 * <pre>
 * { 'q_network_state_dict':      OrderedDict[str, Tensor],
 *   'target_network_state_dict': OrderedDict[str, Tensor],
 *   'optimiser_state_dict':      torch.optim.Adam.state_dict()  (see {@link AdamState}),
 *   'scheduler_state_dict':      torch.optim.lr_scheduler.StepLR.state_dict() (plain values),
 *   'episode': int, 'eps': float, 'acc_steps': int }
 * </pre>
 *
 * @param qNetwork        online network state_dict, in PyTorch key order
 * @param targetNetwork   target network state_dict
 * @param optimiserState  the optimiser's state_dict as unpickled/picklable values (Map/List/PyTuple/TensorData...)
 * @param schedulerState  the scheduler's state_dict as plain values
 * @param episode         episode counter as the trainer saved it (the published trainer counts from 1)
 * @param eps             current epsilon of the epsilon-greedy policy
 * @param accSteps        agent steps taken so far (drives {@code train_freq})
 */
public record TrainingCheckpoint(
        LinkedHashMap<String, TensorData> qNetwork,
        LinkedHashMap<String, TensorData> targetNetwork,
        Map<Object, Object> optimiserState,
        Map<Object, Object> schedulerState,
        long episode,
        double eps,
        long accSteps) {

    public static final String KEY_Q_NETWORK = "q_network_state_dict";
    public static final String KEY_TARGET_NETWORK = "target_network_state_dict";
    public static final String KEY_OPTIMISER = "optimiser_state_dict";
    public static final String KEY_SCHEDULER = "scheduler_state_dict";
    public static final String KEY_EPISODE = "episode";
    public static final String KEY_EPS = "eps";
    public static final String KEY_ACC_STEPS = "acc_steps";
    /** The engine's own counters (epoch, best validation distance, learning rate, seed); optional. */
    public static final String KEY_ENGINE_STATE = "rlm_state";
    /**
     * Largest episode counter accepted: the trainer counts episodes in an int. A million agent steps per second
     * for a year is 2^45 steps, so acc_steps has no practical bound but being non-negative.
     */
    private static final long MAX_EPISODE = Integer.MAX_VALUE;

    public TrainingCheckpoint {
        Objects.requireNonNull(qNetwork, "qNetwork");
        Objects.requireNonNull(targetNetwork, "targetNetwork");
        Objects.requireNonNull(optimiserState, "optimiserState");
        Objects.requireNonNull(schedulerState, "schedulerState");
    }

    /** True if the top-level object of a checkpoint looks like a training checkpoint (has the online network key). */
    public static boolean looksLike(Object root) {
        return root instanceof Map<?, ?> m && m.containsKey(KEY_Q_NETWORK);
    }

    /**
     * The Python value {@code torch.save} would be given: a plain dict in the published key order, the two
     * networks as OrderedDicts.
     */
    public LinkedHashMap<Object, Object> toPython() {
        LinkedHashMap<Object, Object> root = new LinkedHashMap<>();
        root.put(KEY_Q_NETWORK, new PyOrderedDict(qNetwork));
        root.put(KEY_TARGET_NETWORK, new PyOrderedDict(targetNetwork));
        root.put(KEY_OPTIMISER, optimiserState);
        root.put(KEY_SCHEDULER, schedulerState);
        root.put(KEY_EPISODE, episode);
        root.put(KEY_EPS, eps);
        root.put(KEY_ACC_STEPS, accSteps);
        return root;
    }

    /**
     * Reads the training checkpoint fields out of an unpickled top-level dict.
     *
     * @param file the checkpoint file, for error messages
     * @throws CheckpointException naming the missing or mistyped key
     */
    public static TrainingCheckpoint fromPython(Object root, Path file) throws CheckpointException {
        if (!(root instanceof Map<?, ?> map)) {
            throw new CheckpointException(file, "training checkpoint must be a dict, found " + PyValues.typeName(root));
        }
        // 'episode' is the last finished episode, 1-based, as the published trainer writes it; 0 when a run was
        // stopped (Ctrl-C, SIGTERM, --save_freq) before its first episode ended. An older engine's checkpoint
        // (rlm_state without episodes_done) held the next episode instead: 1 or more, checked where it is resumed.
        long episode = PyValues.integer(require(map, KEY_EPISODE, file), file, "'" + KEY_EPISODE + "'", 0,
                MAX_EPISODE);
        double eps = PyValues.finiteReal(require(map, KEY_EPS, file), file, "'" + KEY_EPS + "'", 0, 1);
        long accSteps = PyValues.integer(require(map, KEY_ACC_STEPS, file), file, "'" + KEY_ACC_STEPS + "'", 0,
                Long.MAX_VALUE);
        if (map.containsKey(KEY_ENGINE_STATE)) {
            checkEngineState(map.get(KEY_ENGINE_STATE), file);
        }
        return new TrainingCheckpoint(
                PyValues.stateDict(require(map, KEY_Q_NETWORK, file), file, KEY_Q_NETWORK),
                PyValues.stateDict(require(map, KEY_TARGET_NETWORK, file), file, KEY_TARGET_NETWORK),
                dict(require(map, KEY_OPTIMISER, file), file, KEY_OPTIMISER),
                dict(require(map, KEY_SCHEDULER, file), file, KEY_SCHEDULER),
                episode, eps, accSteps);
    }

    /**
     * The engine's {@code rlm_state} entry, checked so that {@code --resume} can trust it: {@code epoch} an int in
     * [0, 2^31), {@code best_validation_mm} non-negative (infinity before the first validation), {@code
     * learning_rate} finite and positive, {@code seed} an int.
     */
    private static void checkEngineState(Object value, Path file) throws CheckpointException {
        Map<Object, Object> state = dict(value, file, KEY_ENGINE_STATE);
        String at = "'" + KEY_ENGINE_STATE + "' entry ";
        for (String key : new String[] {"epoch", "best_validation_mm", "learning_rate"}) {
            if (!state.containsKey(key)) {
                throw new CheckpointException(file, at + "has no '" + key + "'");
            }
        }
        PyValues.integer(state.get("epoch"), file, at + "'epoch'", 0, Integer.MAX_VALUE);
        Object best = state.get("best_validation_mm");
        if (!(best instanceof Double d && d == Double.POSITIVE_INFINITY)) {
            PyValues.finiteReal(best, file, at + "'best_validation_mm'", 0, Double.MAX_VALUE);
        }
        PyValues.finiteReal(state.get("learning_rate"), file, at + "'learning_rate'", Double.MIN_VALUE,
                Double.MAX_VALUE);
        if (state.containsKey("seed")) {
            PyValues.integer(state.get("seed"), file, at + "'seed'", Long.MIN_VALUE, Long.MAX_VALUE);
        }
    }

    private static Object require(Map<?, ?> map, String key, Path file) throws CheckpointException {
        if (!map.containsKey(key)) {
            throw new CheckpointException(file, "training checkpoint has no '" + key + "' entry; keys are "
                    + PyValues.repr(new ArrayList<Object>(map.keySet())));
        }
        return map.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object value, Path file, String key) throws CheckpointException {
        if (value instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw new CheckpointException(file, "'" + key + "' must be a dict, found " + PyValues.typeName(value));
    }
}
