package org.cmarl.engine.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationLayout;

/**
 * Greedy evaluation (and play) in lockstep: up to {@code capacityBatch} episodes advance together, one batched
 * forward pass per step for those whose observation the run has not seen before (a repeat takes its earlier
 * Q-values from an {@link ObservationMemo}, unless {@link #reuseRepeatedObservations} is off); an episode that
 * finishes leaves the batch and the next queued episode takes its place. Episodes are queued run by run, image by
 * image ({@code number = run * images + image + 1}), and are reset in that order, so random spawns draw the same
 * numbers as one-by-one evaluation and the results are the same.
 *
 * <p>Each episode's environment keeps its own frame ring (float32, the published fractional values); every step
 * copies each active episode's observation that needs a forward pass, oldest frame first, into the next free input
 * row. That copy (1.46 MB an agent) is what lets finished episodes drop out and new ones join without mixing ring
 * phases in one batch; it costs well under 1% of a forward pass.
 */
public final class Evaluator {
    private final BatchQFunction q;
    private final EnvConfig config;
    // where the time of the last run went, nanoseconds
    private long forwardNanos;
    private long environmentNanos;
    private long totalNanos;
    private long forwardCalls;
    private long observations;
    private long repeatsReused;
    private boolean reuseRepeatedObservations = true;
    // this evaluator's share of the episodes: those with index % shardCount == shardRank (all by default)
    private int shardRank;
    private int shardCount = 1;

    /**
     * @param q      the network; its agent count is the environment's
     * @param mode   EVAL (landmarks known) or PLAY (none)
     * @param maxStepsPerEpisode the published {@code --steps_per_episode}
     */
    public Evaluator(BatchQFunction q, Mode mode, int maxStepsPerEpisode) {
        if (mode == Mode.TRAIN) {
            throw new IllegalArgumentException("the evaluator runs EVAL or PLAY, not " + mode);
        }
        this.q = q;
        this.config = EnvConfig.acting(mode, q.agents(), true, maxStepsPerEpisode);
        ObservationLayout row = q.inputRow(0).layout();
        if (row.agents() != q.agents() || row.frameType() != FrameType.FLOAT32) {
            throw new IllegalArgumentException("input rows of " + row.agents() + " agents (" + row.frameType()
                    + "), expected float32 " + q.agents() + " x 4 x 45^3");
        }
    }

    /**
     * Restricts later runs to episodes {@code rank, rank + count, ...} of the queue (one rank's share of a
     * multi-process evaluation). The other episodes' random spawns are still drawn, in queue order, so every
     * episode starts where it would in one process and the shares together are a one-process run's results.
     */
    public Evaluator shard(int rank, int count) {
        if (count < 1 || rank < 0 || rank >= count) {
            throw new IllegalArgumentException("shard " + rank + " of " + count + ", expected 0 <= rank < count");
        }
        this.shardRank = rank;
        this.shardCount = count;
        return this;
    }

    /**
     * Whether a repeated observation (the same frames on the same image, seen earlier in the run) takes its earlier
     * Q-values instead of a forward pass ({@link ObservationMemo}; on by default). The results are the same either
     * way; off, every step runs the network, as the published evaluation does (for timing the forward passes).
     */
    public Evaluator reuseRepeatedObservations(boolean reuse) {
        this.reuseRepeatedObservations = reuse;
        return this;
    }

    /** Observations the last run acted on. */
    public long observations() {
        return observations;
    }

    /** Of {@link #observations()}, those answered from an earlier identical observation, without a forward pass. */
    public long repeatsReused() {
        return repeatsReused;
    }

    /** Episodes of a run over {@code total} that are this evaluator's share. */
    public int shareOf(int total) {
        return total <= shardRank ? 0 : (total - shardRank + shardCount - 1) / shardCount;
    }

    /**
     * Runs every spawn over every image.
     *
     * @param images  the images (with landmarks unless in play mode)
     * @param spawns  one entry per run: a fixed spawn, or {@link Spawn#random()} drawn from {@code random}
     * @param random  generator for random spawns (may be null when every spawn is fixed)
     * @param onDone  called with each finished episode, in completion order
     * @return the results in queue order (run-major, then image)
     */
    public List<EpisodeResult> run(List<LabelledImage> images, List<Spawn> spawns, SplittableRandom random,
                                   Consumer<EpisodeResult> onDone) {
        return run(images, spawns, random, onDone, null);
    }

    /** Watches episodes as they run (e.g. to draw them): called after each reset and after each step. */
    public interface StepListener {
        /**
         * @param episode index of the episode in queue order ({@code run * images + image})
         * @param env     the episode's environment, read-only use: locations, landmarks, scale, distances, image
         */
        void onState(int episode, LandmarkEnv env);
    }

    /** As {@link #run(List, List, SplittableRandom, Consumer)}, telling {@code listener} every state. */
    public List<EpisodeResult> run(List<LabelledImage> images, List<Spawn> spawns, SplittableRandom random,
                                   Consumer<EpisodeResult> onDone, StepListener listener) {
        final long runStart = System.nanoTime();
        forwardNanos = 0;
        environmentNanos = 0;
        forwardCalls = 0;
        observations = 0;
        repeatsReused = 0;
        final int agents = q.agents();
        final int total = images.size() * spawns.size();
        final int slots = Math.min(q.capacityBatch(), Math.max(1, total));
        final EpisodeResult[] results = new EpisodeResult[total];
        final LandmarkEnv[] envs = new LandmarkEnv[slots];
        final int[] episodeOf = new int[slots];
        final int[] active = new int[slots];
        final float[] qOut = new float[slots * agents * 6];
        final int[] actions = new int[agents];
        final float[] qRow = new float[agents * 6];
        // Q-values of repeated observations come from the memo (ObservationMemo); a step's hits are copied out
        // before its puts, which may empty the memo.
        final ObservationMemo memo = reuseRepeatedObservations
                ? new ObservationMemo(agents, ObservationMemo.DEFAULT_CAPACITY_ENTRIES) : null;
        final int keyLongs = memo == null ? 0 : memo.keyLongs();
        final long[] slotKeys = new long[slots * keyLongs];
        final float[] slotQ = new float[slots * agents * 6];
        final int[] rowOf = new int[slots];
        LandmarkEnv scratch = null;
        try {
            for (int s = 0; s < slots; s++) {
                envs[s] = LandmarkEnv.withOwnBuffer(config);
                episodeOf[s] = -1;
            }
            scratch = shardCount > 1 ? LandmarkEnv.withOwnBuffer(config) : null;
            int next = skipOthers(scratch, images, spawns, 0, total, random);
            int finished = 0;
            final int mine = shareOf(total);
            for (int s = 0; s < slots && next < total; s++) {
                start(envs[s], images, spawns, next, random);
                if (listener != null) {
                    listener.onState(next, envs[s]);
                }
                episodeOf[s] = next;
                next = skipOthers(scratch, images, spawns, next + 1, total, random);
            }
            while (finished < mine) {
                long t0 = System.nanoTime();
                int n = 0;
                int stepping = 0;
                for (int s = 0; s < slots; s++) {
                    if (episodeOf[s] < 0) {
                        continue;
                    }
                    active[stepping++] = s;
                    observations++;
                    if (memo != null) {
                        memo.keyOf(envs[s], episodeOf[s] % images.size(), slotKeys, s * keyLongs);
                        int entry = memo.find(slotKeys, s * keyLongs);
                        if (entry >= 0) {
                            memo.copyQ(entry, slotQ, s * agents * 6);
                            rowOf[s] = -1;
                            repeatsReused++;
                            continue;
                        }
                    }
                    envs[s].frames().copyCanonicalTo(q.inputRow(n));
                    rowOf[s] = n++;
                }
                long t1 = System.nanoTime();
                if (n > 0) {
                    q.forward(n, qOut);
                    forwardCalls++;
                }
                long t2 = System.nanoTime();
                forwardNanos += t2 - t1;
                environmentNanos += t1 - t0;
                for (int i = 0; i < stepping; i++) {
                    int s = active[i];
                    LandmarkEnv env = envs[s];
                    if (rowOf[s] >= 0) {
                        System.arraycopy(qOut, rowOf[s] * agents * 6, slotQ, s * agents * 6, agents * 6);
                        if (memo != null) {
                            memo.put(slotKeys, s * keyLongs, slotQ, s * agents * 6);
                        }
                    }
                    System.arraycopy(slotQ, s * agents * 6, qRow, 0, agents * 6);
                    for (int a = 0; a < agents; a++) {
                        actions[a] = argmax(qRow, a * 6);
                    }
                    env.step(actions, qRow);
                    if (listener != null) {
                        listener.onState(episodeOf[s], env);
                    }
                    if (env.isOver()) {
                        int e = episodeOf[s];
                        EpisodeResult r = result(env, images, spawns, e);
                        results[e] = r;
                        finished++;
                        if (onDone != null) {
                            onDone.accept(r);
                        }
                        if (next < total) {
                            start(env, images, spawns, next, random);
                            if (listener != null) {
                                listener.onState(next, env);
                            }
                            episodeOf[s] = next;
                            next = skipOthers(scratch, images, spawns, next + 1, total, random);
                        } else {
                            episodeOf[s] = -1;
                        }
                    }
                }
                environmentNanos += System.nanoTime() - t2;
            }
        } finally {
            if (scratch != null) {
                scratch.close();
            }
            for (LandmarkEnv env : envs) {
                if (env != null) {
                    env.close();
                }
            }
        }
        totalNanos = System.nanoTime() - runStart;
        List<EpisodeResult> list = new ArrayList<>(total);
        for (EpisodeResult r : results) {
            if (r != null) {
                list.add(r);
            }
        }
        return list;
    }

    /**
     * Where the last {@link #run}'s time went: the batched forward passes, the environments (steps, resets, ROI
     * extraction, the observation copies and memo look-ups; result bookkeeping and listeners included), and the
     * rest; and how many observations were repeats answered without a forward pass.
     */
    public String timeReport() {
        double total = totalNanos / 1e9;
        double forward = forwardNanos / 1e9;
        double env = environmentNanos / 1e9;
        return String.format(Locale.ROOT,
                "%.1f s: forward %.1f s (%.0f%%, %d batched calls, %.1f ms each), environment %.1f s (%.0f%%), "
                        + "other %.1f s (%.0f%%); %d of %d observations were repeats, their Q-values reused",
                total, forward, 100 * forward / total, forwardCalls,
                forwardCalls == 0 ? 0 : 1e3 * forward / forwardCalls, env, 100 * env / total, total - forward - env,
                100 * (total - forward - env) / total, repeatsReused, observations);
    }

    /** Index of the largest of the 6 values from {@code offset}; the first on ties, as torch.argmax on CPU. */
    public static int argmax(float[] v, int offset) {
        int best = 0;
        for (int k = 1; k < 6; k++) {
            if (v[offset + k] > v[offset + best]) {
                best = k;
            }
        }
        return best;
    }

    /**
     * The first episode from {@code episode} on that is this evaluator's share; the random spawns of the others
     * are drawn on {@code scratch} (a reset, no step) so that the generator advances as in one process.
     */
    private int skipOthers(LandmarkEnv scratch, List<LabelledImage> images, List<Spawn> spawns, int episode, int total,
                           SplittableRandom random) {
        while (episode < total && episode % shardCount != shardRank) {
            if (spawns.get(episode / images.size()) == Spawn.random()) { // only random spawns draw numbers
                start(scratch, images, spawns, episode, random);
            }
            episode++;
        }
        return episode;
    }

    private void start(LandmarkEnv env, List<LabelledImage> images, List<Spawn> spawns, int episode,
                       SplittableRandom random) {
        LabelledImage image = images.get(episode % images.size());
        Spawn spawn = spawns.get(episode / images.size());
        env.reset(image.volume(), config.mode() == Mode.PLAY ? null : image.landmarks(), spawn, random);
    }

    private EpisodeResult result(LandmarkEnv env, List<LabelledImage> images, List<Spawn> spawns, int episode) {
        int agents = env.agents();
        int[][] start = new int[agents][3];
        int[][] end = new int[agents][3];
        int[][] landmarks = config.mode() == Mode.PLAY ? null : new int[agents][3];
        double[] distance = new double[agents];
        for (int a = 0; a < agents; a++) {
            for (int axis = 0; axis < 3; axis++) {
                start[a][axis] = env.startLocation(a, axis);
                end[a][axis] = env.location(a, axis);
                if (landmarks != null) {
                    landmarks[a][axis] = env.landmark(a, axis);
                }
            }
            distance[a] = landmarks == null ? Double.NaN : env.distanceMm(a);
        }
        int image = episode % images.size();
        return new EpisodeResult(episode / images.size(), image, images.get(image).fileName(), start, end, landmarks,
                distance, env.steps(), env.scale());
    }
}
