package org.cmarl.engine.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Threads that run the CPU inference trunk one part of the batch each, every thread at one libtorch (OpenMP)
 * thread: each core runs whole convolutions, with no barrier between cores inside a layer. Used when a step has at
 * least one row per worker; measured on a 2-core EPYC VM (benchmarks/README.md, "Network forward pass"), 14.8-15.4
 * ms an observation at batch 4-8 against 15.5-16.0 ms for libtorch's two OpenMP threads, with narrower quartiles.
 * (Before the engine set OpenBLAS's pool to one thread, see {@link Torch#ensureLoaded()}, its spinning thread made
 * libtorch's OpenMP threads erratic, 28-130 ms a call; with the pool at one thread they scale.) With OpenMP the
 * thread count is a per-thread setting, so these threads run single-threaded while the caller (the learner's
 * updates, batch-1 steps) keeps its own.
 *
 * <p>Owned by one {@link QNetwork}, shut down by {@link #close()}; daemon threads, so a forgotten network cannot
 * keep the JVM alive.
 */
final class TrunkWorkers implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();
    private final ExecutorService pool;
    private final int size;

    TrunkWorkers(int size) {
        if (size < 2) {
            throw new IllegalArgumentException("trunk workers " + size + ", expected at least 2");
        }
        this.size = size;
        int poolId = POOLS.incrementAndGet();
        AtomicInteger next = new AtomicInteger();
        CountDownLatch ready = new CountDownLatch(size);
        int callerThreads = Torch.threads();
        this.pool = Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(() -> {
                // get_num_threads first: it runs libtorch's once-per-thread initialisation, which would otherwise
                // reset this thread to the global count at its first parallel op. set_num_threads also stores the
                // count globally (for threads libtorch has not seen yet): restored below.
                torch.get_num_threads();
                torch.set_num_threads(1);
                ready.countDown();
                r.run();
            }, "rlm-trunk-" + poolId + "-" + next.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < size; i++) {
            pool.execute(() -> { });
        }
        try {
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the trunk workers", e);
        } finally {
            torch.set_num_threads(callerThreads);
        }
    }

    int size() {
        return size;
    }

    /**
     * Runs the tasks and returns their tensors in task order, each owned by the caller. If a task fails, the
     * others' tensors are closed and the failure is rethrown.
     */
    List<Tensor> run(List<Callable<Tensor>> tasks) {
        List<Future<Tensor>> futures = new ArrayList<>(tasks.size());
        for (Callable<Tensor> task : tasks) {
            futures.add(pool.submit(task));
        }
        List<Tensor> out = new ArrayList<>(tasks.size());
        RuntimeException failure = null;
        for (Future<Tensor> f : futures) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = cause instanceof RuntimeException re ? re
                            : new IllegalStateException("trunk worker failed: " + cause, cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for the trunk workers", e);
                }
            }
        }
        if (failure != null) {
            for (Tensor t : out) {
                t.close();
            }
            throw failure;
        }
        return out;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
