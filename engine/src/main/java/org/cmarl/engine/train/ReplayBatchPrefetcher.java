package org.cmarl.engine.train;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.TransitionBatchBuffer;
import org.cmarl.engine.replay.FrameSource;
import org.cmarl.engine.replay.ReplayMemory;

/**
 * Double-buffered replay batches: while the learner updates on one batch, the next is sampled into the other
 * buffer on a background thread, so the sampling time (ROI extraction of 5 frames per transition and agent) hides
 * behind the update instead of adding to it.
 *
 * <pre>
 *   update k:  take()            -> batch k (sampled during update k-1, or now if none is ready)
 *              prefetch(random)  -> batch k+1 starts on the sampler thread, into the other buffer
 *              learner.update(batch k)
 *              awaitPrefetch()   -> the replay memory may change again (the next step records into it)
 * </pre>
 *
 * WHY the wait before the next step: {@link ReplayMemory#sample} reads the ring buffer that
 * {@link ReplayMemory#recordStep} overwrites, so the two never run at the same time. The price is one of order:
 * batch k+1 is drawn from the memory as it was at update k, so it cannot contain the {@code train_freq} transitions
 * recorded between the two updates (the published loop samples just before each update). With a memory of 1e5
 * transitions and a batch of 64 that changes which transitions are likely by a few in 10^5.
 * {@link #discard()} drops a prefetched batch (at an episode's start: nothing is carried over an episode boundary,
 * where checkpoints are written, so a resumed run starts in the same state as the uninterrupted one there).
 *
 * <p>Two buffers alternate, so a buffer is rewritten only two updates after the learner read it: on CUDA its
 * non-blocking upload has completed by then (each update ends by reading its loss, which waits for the stream).
 *
 * <p>Single owner: the trainer's thread calls every method; {@link #close()} stops the sampler thread and frees
 * both buffers.
 */
public final class ReplayBatchPrefetcher implements AutoCloseable {
    /** One sampled batch: the windows and the per-(transition, agent) arrays, row b agent a at b * agents + a. */
    public static final class Batch {
        private final TransitionBatchBuffer transitions;
        private final int[] actions;
        private final float[] rewards;
        private final boolean[] terminal;

        private Batch(int batchSize, int agents, Device device) {
            this.transitions = TransitionBatchBuffer.allocate(batchSize, agents, device);
            this.actions = new int[batchSize * agents];
            this.rewards = new float[batchSize * agents];
            this.terminal = new boolean[batchSize * agents];
        }

        public TransitionBatchBuffer transitions() { return transitions; }
        public int[] actions() { return actions; }
        public float[] rewards() { return rewards; }
        public boolean[] terminal() { return terminal; }
    }

    private final ReplayMemory replay;
    private final FrameSource frames;
    private final int batchSize;
    private final Batch[] batches;
    private final ExecutorService sampler;
    /** The batch the learner reads next (0 or 1); the other one is free or being prefetched. */
    private int current;
    private Future<?> pending;
    private boolean ready;
    private boolean closed;

    /**
     * @param batchSize transitions per batch
     * @param device    the networks' device (the buffers are page-locked on CUDA)
     */
    public ReplayBatchPrefetcher(ReplayMemory replay, FrameSource frames, int batchSize, int agents, Device device) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize=" + batchSize + ", required >= 1");
        }
        this.replay = replay;
        this.frames = frames;
        this.batchSize = batchSize;
        this.batches = new Batch[2];
        try {
            batches[0] = new Batch(batchSize, agents, device);
            batches[1] = new Batch(batchSize, agents, device);
        } catch (RuntimeException | Error e) {
            if (batches[0] != null) {
                batches[0].transitions.close();
            }
            throw e;
        }
        this.sampler = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rlm-replay-sampler");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The batch for this update: the one prefetched during the previous update if any (waiting for it if still
     * running), otherwise sampled now with {@code random}. Valid until the next {@link #take}.
     */
    public Batch take(SplittableRandom random) {
        checkOpen();
        if (pending != null) {
            awaitPrefetch();
        }
        if (!ready) {
            sampleInto(batches[current], random);
        }
        ready = false;
        return batches[current];
    }

    /**
     * Starts sampling the next batch with {@code random} into the buffer not returned by the last {@link #take},
     * on the sampler thread. The caller must {@link #awaitPrefetch()} before the replay memory changes.
     */
    public void prefetch(SplittableRandom random) {
        checkOpen();
        if (pending != null || ready) {
            throw new IllegalStateException("a batch is already prefetched");
        }
        int next = 1 - current;
        Batch target = batches[next];
        pending = sampler.submit(() -> sampleInto(target, random));
        current = next;
    }

    /** Waits until the prefetch (if any) has finished; rethrows its failure. */
    public void awaitPrefetch() {
        if (pending == null) {
            return;
        }
        Future<?> f = pending;
        try {
            f.get();
            pending = null;
            ready = true;
        } catch (InterruptedException e) {
            // still pending: close() waits for it before freeing the buffers
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sampling the next replay batch", e);
        } catch (ExecutionException e) {
            pending = null;
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException("sampling the next replay batch failed", cause);
        }
    }

    /** Drops a prefetched batch (after waiting for it): the next {@link #take} samples anew. */
    public void discard() {
        awaitPrefetch();
        ready = false;
    }

    private void sampleInto(Batch b, SplittableRandom random) {
        replay.sample(batchSize, random, frames, b.transitions.block(), 0, b.actions, b.rewards, b.terminal);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("replay batch prefetcher is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (pending != null) {
                // wait, never cancel: a running sample writes into a buffer freed below
                boolean interrupted = false;
                while (true) {
                    try {
                        pending.get();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        break; // closing: the batch is dropped either way
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            sampler.shutdownNow();
            batches[0].transitions.close();
            batches[1].transitions.close();
        }
    }
}
