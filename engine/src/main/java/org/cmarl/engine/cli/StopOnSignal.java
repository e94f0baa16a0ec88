package org.cmarl.engine.cli;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.train.Trainer;

/**
 * Ctrl-C (SIGINT) or SIGTERM during training: a JVM shutdown hook asks the trainer to stop after its current step
 * and waits (at most {@code waitSeconds}) until it has written {@code latest_checkpoint.pt}, so an interrupted run
 * can be continued with {@code --resume}. The JVM does not exit before the hook returns, which is what makes the wait
 * possible; the bound keeps a stuck step (e.g. a 90 s CPU update of the published CommNet) from blocking the exit
 * for ever. SIGKILL runs no hook: the last epoch's checkpoint (written atomically) is what remains.
 */
final class StopOnSignal implements AutoCloseable {
    /** Longer than one update of the published configuration on a 2-core CPU (about 90 s). */
    static final int DEFAULT_WAIT_SECONDS = 180;

    private final Thread hook;
    private final CountDownLatch returned = new CountDownLatch(1);

    StopOnSignal(Trainer trainer, int waitSeconds, PrintStream out) {
        this.hook = new Thread(() -> {
            out.println();
            out.println("rlm: interrupted; saving latest_checkpoint.pt after the current step (waiting up to "
                    + waitSeconds + " s)");
            trainer.requestStop();
            try {
                if (!returned.await(waitSeconds, TimeUnit.SECONDS)) {
                    out.println("rlm: the step did not finish within " + waitSeconds + " s; exiting without a new "
                            + "checkpoint (the last epoch's latest_checkpoint.pt is intact)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.flush();
        }, "rlm-stop-on-signal");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Called when {@code train()} has returned (finished, or stopped with its checkpoint written). */
    void trainingReturned() {
        returned.countDown();
    }

    @Override
    public void close() {
        returned.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running (a signal arrived): it returns now that the latch is open
        }
    }
}
