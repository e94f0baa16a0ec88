package org.cmarl.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.train.TrainConfig;
import org.cmarl.engine.train.Trainer;
import org.cmarl.engine.train.TrainingLog;
import org.cmarl.engine.train.TrainingState;
import org.cmarl.engine.volume.Volume;

/**
 * {@code --num_envs}: environment steps per second of the whole training loop ({@link Trainer#train()}, the real
 * one) at epsilon 0.1, for Network3d with 1 agent and CommNet with 5 agents at N = 1, 4, 16, in one run.
 * The steps/s figure counts acting (epsilon draws, the batched forward pass, the observation copies), stepping
 * (ROI extraction, rewards, resets) and storing; the updates (sample + DQN update, every {@code train_freq}
 * environment steps) are timed apart and reported per update. Also the forward time per observation at each N
 * (the batched pass divided by the greedy environments it acted for).
 *
 * <p>Each configuration trains from scratch on the sample scan (or a synthetic volume) with epsilon fixed at 0.1
 * (restored counters), multiscale on, until {@code episodes x N} episodes have ended.
 *
 * <pre>
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *       org.cmarl.bench.BatchedActingMain [threads] [episodesPerEnv] [stepsPerEpisode] [trainFreq] [N...]
 * </pre>
 */
public final class BatchedActingMain {
    private BatchedActingMain() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int episodesPerEnv = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int stepsPerEpisode = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int trainFreq = args.length > 3 ? Integer.parseInt(args[3]) : 400;
        int[] envCounts = args.length > 4 ? Arrays.stream(args, 4, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 4, 16};
        Torch.setThreads(threads);
        System.out.printf(Locale.ROOT, "%s, %d thread(s), load average %s at the start%n", Machine.cpuModel(),
                Torch.threads(), Machine.loadAverage());
        System.out.printf(Locale.ROOT, "eps 0.1, multiscale, steps_per_episode %d, %d episodes per environment, "
                + "train_freq %d, batch 4%n", stepsPerEpisode, episodesPerEnv, trainFreq);
        System.out.println("network      N  env steps  steps/s (act+step+store)  act %  forward ms/obs  greedy obs"
                + "  updates  s/update  load");
        try (Volume volume = BenchVolumes.sampleOrSynthetic()) {
            for (Object[] net : new Object[][] {{Architecture.NETWORK3D, 1}, {Architecture.COMMNET, 5}}) {
                Architecture arch = (Architecture) net[0];
                int agents = (Integer) net[1];
                for (int n : envCounts) {
                    run(volume, arch, agents, n, episodesPerEnv, stepsPerEpisode, trainFreq);
                }
            }
        }
    }

    private static void run(Volume volume, Architecture arch, int agents, int n, int episodesPerEnv,
                            int stepsPerEpisode, int trainFreq) throws Exception {
        int[][] landmarks = new int[agents][];
        int[] ids = new int[agents];
        for (int a = 0; a < agents; a++) {
            landmarks[a] = new int[] {volume.nx() / 2 + 2 * a, volume.ny() / 2, volume.nz() / 2 - a};
            ids[a] = a;
        }
        List<LabelledImage> images = new ArrayList<>();
        images.add(new LabelledImage(volume.name(), volume, landmarks));
        TrainConfig config = new TrainConfig(arch, ids, false, TeamReward.NONE, 4, 20_000, 4, 0.9, 1e-3, 0.5, 100,
                episodesPerEnv * n, stepsPerEpisode, 1_000_000, 1e-4, TrainConfig.MIN_EPSILON, true, trainFreq, 1,
                Device.CPU, 0, null, n, 0);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (TrainingLog log = new TrainingLog(null, "bench", config, quiet, false);
             Trainer trainer = new Trainer(config, images, List.of(), log)) {
            // epsilon 0.1 from the first learning step on (the published schedule's floor)
            trainer.restore(new TrainingState(0, 0, 0, TrainConfig.MIN_EPSILON, 1e-3, Double.POSITIVE_INFINITY));
            trainer.train();
            Trainer.PhaseTimes t = trainer.phaseTimes();
            long acting = t.nanos(Trainer.PhaseTimes.ACT) + t.nanos(Trainer.PhaseTimes.STEP)
                    + t.nanos(Trainer.PhaseTimes.STORE);
            long updating = t.nanos(Trainer.PhaseTimes.SAMPLE) + t.nanos(Trainer.PhaseTimes.UPDATE);
            System.out.printf(Locale.ROOT, "%-10s %3d  %9d  %24.2f  %5.0f  %14.1f  %10d  %7d  %8s  %s%n",
                    arch.cliName() + "-" + agents, n, t.steps(), t.steps() / (acting / 1e9),
                    100.0 * t.nanos(Trainer.PhaseTimes.ACT) / acting,
                    t.forwardObservations() == 0 ? 0.0 : t.forwardNanos() / 1e6 / t.forwardObservations(),
                    t.forwardObservations(), t.updates(),
                    t.updates() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", updating / 1e9 / t.updates()),
                    Machine.loadAverage());
        }
    }
}
