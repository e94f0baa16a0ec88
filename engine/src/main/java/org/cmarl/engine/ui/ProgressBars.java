package org.cmarl.engine.ui;

import java.io.PrintStream;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars for every long job, one look everywhere. On a terminal the bar redraws in place every second; when
 * the output goes to a file or a CI log (no console), it prints a plain line every 30 s instead of hundreds of
 * carriage-return redraws.
 */
public final class ProgressBars {
    private static final int TERMINAL_UPDATE_MS = 1000;
    private static final int LOG_UPDATE_MS = 30_000;

    private ProgressBars() {
    }

    /**
     * @param max  total units, or -1 when unknown
     * @param unit e.g. {@code " episodes"}
     */
    public static ProgressBar create(String task, long max, String unit, PrintStream out) {
        boolean terminal = System.console() != null;
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUnit(unit, 1)
                .setUpdateIntervalMillis(terminal ? TERMINAL_UPDATE_MS : LOG_UPDATE_MS)
                // redraw on the clock even when no unit finished: the elapsed time keeps running through a long
                // update (30-110 s for CommNet on a CPU) instead of standing still
                .continuousUpdate();
        if (terminal) {
            b.setConsumer(new ConsoleProgressBarConsumer(out));
        } else {
            b.setConsumer(new DelegatingProgressBarConsumer(out::println, 100));
        }
        return b.build();
    }
}
