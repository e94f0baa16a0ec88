package org.cmarl.engine.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.PtWriter;
import org.cmarl.engine.io.StepLrState;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.io.TrainingCheckpoint;

/**
 * The files a run folder holds after every epoch, each written atomically (temporary file, then rename), so a run
 * killed at any moment leaves the previous epoch's files whole:
 * <ul>
 *   <li>{@code latest_dqn.pt}: the online network's state_dict (what {@code --task eval --load} takes);</li>
 *   <li>{@code best_dqn.pt}: the same, at the epoch with the lowest mean validation distance;</li>
 *   <li>{@code latest_checkpoint.pt}: the published training checkpoint dict (online and target weights,
 *       optimiser and scheduler state, episode, eps, acc_steps) plus the engine's counters under
 *       {@code rlm_state} (epoch, best validation distance, seed), for {@code --resume}.</li>
 * </ul>
 */
public final class TrainingCheckpoints {
    public static final String LATEST_WEIGHTS = "latest_dqn.pt";
    public static final String BEST_WEIGHTS = "best_dqn.pt";
    public static final String LATEST_CHECKPOINT = "latest_checkpoint.pt";
    /** Key of the engine's own entries in the training checkpoint dict; ignored by the published code. */
    public static final String ENGINE_STATE_KEY = "rlm_state";

    private TrainingCheckpoints() {
    }

    /**
     * Continues a run from a training checkpoint written by {@link #save}: both networks, the optimiser and the
     * counters. The network's shape was checked by the caller (names and shapes must match exactly).
     */
    public static void resume(Checkpoint checkpoint, Trainer trainer) throws IOException {
        TrainingCheckpoint t = checkpoint.training();
        trainer.online().loadStateDict(t.qNetwork());
        trainer.target().loadStateDict(t.targetNetwork());
        trainer.learner().loadOptimiserState(AdamState.fromPython(t.optimiserState(), checkpoint.file()));
        Object root = checkpoint.root();
        // the published 'episode' is the last finished episode, 1-based (= episodes done); the published trainer
        // resumes at episode + 1 (trainer.py: start_episode = checkpoint['episode'] + 1)
        long episodesDone = t.episode();
        int epoch = 0;
        double best = Double.POSITIVE_INFINITY;
        double lr = trainer.config().learningRate();
        if (root instanceof Map<?, ?> m && m.get(ENGINE_STATE_KEY) instanceof Map<?, ?> e) {
            epoch = ((Number) e.get("epoch")).intValue();
            best = ((Number) e.get("best_validation_mm")).doubleValue();
            lr = ((Number) e.get("learning_rate")).doubleValue();
            if (!e.containsKey("episodes_done")) {
                // an older engine's checkpoint (no episodes_done): its episode is the next one, not the last finished
                episodesDone = t.episode() - 1;
            }
        } else {
            StepLrState scheduler = StepLrState.fromPython(t.schedulerState(), checkpoint.file());
            epoch = (int) scheduler.lastEpoch();
            lr = scheduler.lastLr();
        }
        if (episodesDone < 0 || episodesDone > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(checkpoint.file() + ": episode " + t.episode()
                    + " is not a count of finished episodes");
        }
        trainer.restore(new TrainingState((int) episodesDone, epoch, t.accSteps(), t.eps(), lr, best));
    }

    public static void save(Path runDir, Trainer trainer, boolean best) throws IOException {
        LinkedHashMap<String, TensorData> weights = trainer.online().stateDict();
        PtWriter.writeStateDict(runDir.resolve(LATEST_WEIGHTS), weights);
        if (best) {
            PtWriter.writeStateDict(runDir.resolve(BEST_WEIGHTS), weights);
        }
        TrainingState s = trainer.state();
        TrainConfig c = trainer.config();
        AdamState adam = trainer.learner().optimiserState(c.learningRate());
        StepLrState scheduler = new StepLrState(c.schedulerStepSize(), c.schedulerGamma(), c.learningRate(),
                s.epoch(), s.learningRate());
        TrainingCheckpoint checkpoint = new TrainingCheckpoint(weights, trainer.target().stateDict(),
                adam.toPython(), scheduler.toPython(), (long) s.episode(), s.epsilon(), s.agentSteps());
        LinkedHashMap<Object, Object> root = checkpoint.toPython();
        LinkedHashMap<Object, Object> engine = new LinkedHashMap<>();
        engine.put("epoch", (long) s.epoch());
        engine.put("best_validation_mm", s.bestValidationMm());
        engine.put("seed", c.seed());
        engine.put("learning_rate", s.learningRate());
        // marks the published episode convention (last finished episode) for readers of older engine files
        engine.put("episodes_done", (long) s.episode());
        root.put(ENGINE_STATE_KEY, engine);
        PtWriter.write(runDir.resolve(LATEST_CHECKPOINT), root);
    }
}
