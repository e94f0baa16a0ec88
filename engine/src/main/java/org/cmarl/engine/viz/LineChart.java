package org.cmarl.engine.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.util.List;
import java.util.Locale;

/**
 * A small line chart drawn with java.awt: axes with "nice" ticks (1, 2 or 5 times a power of ten), labels, title,
 * legend in the top right corner. NaN values break a line (an epoch without validation, say); a point with no
 * finite neighbour is drawn as a dot.
 */
public final class LineChart {
    /** One line. */
    public record Series(String name, Color colour, boolean dashed, float widthPx, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length
                        + " y values");
            }
        }
    }

    private static final int LEFT_MARGIN_PX = 70;
    private static final int BOTTOM_MARGIN_PX = 46;
    private static final int TOP_MARGIN_PX = 30;
    private static final int RIGHT_MARGIN_PX = 16;

    private LineChart() {
    }

    /** Draws the chart inside {@code area} (margins for labels included). */
    public static void draw(Graphics2D g, Rectangle area, String title, String xLabel, String yLabel,
                            List<Series> series) {
        draw(g, area, title, xLabel, yLabel, series, false);
    }

    /**
     * As {@link #draw(Graphics2D, Rectangle, String, String, String, List)}; with {@code integerX} (epochs) the x
     * ticks are whole numbers and a single x value is centred between its neighbours.
     */
    public static void draw(Graphics2D g, Rectangle area, String title, String xLabel, String yLabel,
                            List<Series> series, boolean integerX) {
        Rectangle plot = new Rectangle(area.x + LEFT_MARGIN_PX, area.y + TOP_MARGIN_PX,
                area.width - LEFT_MARGIN_PX - RIGHT_MARGIN_PX, area.height - TOP_MARGIN_PX - BOTTOM_MARGIN_PX);
        double[] xr = range(series, true);
        if (integerX && xr != null && xr[1] - xr[0] < 2) {
            // one epoch: 0..2 around it, so the point sits in the middle with whole-number ticks either side
            double mid = Math.rint((xr[0] + xr[1]) / 2);
            xr = new double[]{mid - 1, mid + 1};
        }
        double[] yr = range(series, false);
        Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font bold = new Font(Font.SANS_SERIF, Font.BOLD, 14);
        g.setColor(Color.WHITE);
        g.fill(area);
        g.setFont(bold);
        g.setColor(Color.BLACK);
        FontMetrics fm = g.getFontMetrics();
        g.drawString(title, plot.x + (plot.width - fm.stringWidth(title)) / 2, area.y + 20);
        g.setFont(plain);
        fm = g.getFontMetrics();
        if (xr == null || yr == null) {
            g.drawRect(plot.x, plot.y, plot.width, plot.height);
            String none = "no data yet";
            g.drawString(none, plot.x + (plot.width - fm.stringWidth(none)) / 2, plot.y + plot.height / 2);
            return;
        }
        double[] xt = ticks(xr[0], xr[1], integerX);
        // a little room above and below the data, so that no point (nor its label) sits on the frame
        double yPad = (yr[1] - yr[0]) * 0.05;
        double[] yt = ticks(yr[0] - yPad, yr[1] + yPad);
        double x0 = xt[0];
        double x1 = xt[xt.length - 1];
        double y0 = yt[0];
        double y1 = yt[yt.length - 1];
        // grid and ticks
        for (double t : xt) {
            int px = px(t, x0, x1, plot.x, plot.width);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(px, plot.y, px, plot.y + plot.height);
            g.setColor(Color.BLACK);
            g.drawLine(px, plot.y + plot.height, px, plot.y + plot.height + 5);
            String s = label(t, xt);
            g.drawString(s, px - fm.stringWidth(s) / 2, plot.y + plot.height + 18);
        }
        for (double t : yt) {
            int py = py(t, y0, y1, plot.y, plot.height);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(plot.x, py, plot.x + plot.width, py);
            g.setColor(Color.BLACK);
            g.drawLine(plot.x - 5, py, plot.x, py);
            String s = label(t, yt);
            g.drawString(s, plot.x - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(plot.x, plot.y, plot.width, plot.height);
        g.drawString(xLabel, plot.x + (plot.width - fm.stringWidth(xLabel)) / 2, area.y + area.height - 8);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2, area.x + 16, plot.y + plot.height / 2.0);
        g.drawString(yLabel, area.x + 16 - fm.stringWidth(yLabel) / 2, plot.y + plot.height / 2 + 4);
        g.setTransform(saved);
        // lines
        Stroke savedStroke = g.getStroke();
        g.setClip(plot.x, plot.y, plot.width + 1, plot.height + 1);
        for (Series s : series) {
            g.setColor(s.colour());
            g.setStroke(stroke(s));
            Path2D.Double path = new Path2D.Double();
            boolean drawing = false;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.x()[i]) || !Double.isFinite(s.y()[i])) {
                    drawing = false;
                    continue;
                }
                double px = pxd(s.x()[i], x0, x1, plot.x, plot.width);
                double py = pyd(s.y()[i], y0, y1, plot.y, plot.height);
                boolean alone = (i == 0 || !Double.isFinite(s.y()[i - 1]))
                        && (i == s.x().length - 1 || !Double.isFinite(s.y()[i + 1]));
                if (alone) {
                    // a lone value (one epoch) is a dot with its value beside it, not a stray mark
                    int r = Math.round(s.widthPx() + 2);
                    g.fillOval((int) Math.round(px) - r, (int) Math.round(py) - r, 2 * r, 2 * r);
                    g.drawString(valueLabel(s.y()[i]), (int) Math.round(px) + r + 4,
                            (int) Math.round(py) + fm.getAscent() / 2 - 1);
                }
                if (drawing) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    drawing = true;
                }
            }
            g.draw(path);
        }
        g.setClip(null);
        // legend
        int rowPx = 18;
        int widest = 0;
        for (Series s : series) {
            widest = Math.max(widest, fm.stringWidth(s.name()));
        }
        int lw = widest + 50;
        int lh = series.size() * rowPx + 8;
        int lx = plot.x + plot.width - lw - 8;
        int ly = plot.y + 8;
        g.setStroke(new BasicStroke(1f));
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(lx, ly, lw, lh);
        g.setColor(Color.GRAY);
        g.drawRect(lx, ly, lw, lh);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            int yMid = ly + 4 + i * rowPx + rowPx / 2;
            g.setColor(s.colour());
            g.setStroke(stroke(s));
            g.drawLine(lx + 8, yMid, lx + 38, yMid);
            g.setStroke(new BasicStroke(1f));
            g.setColor(Color.BLACK);
            g.drawString(s.name(), lx + 44, yMid + fm.getAscent() / 2 - 1);
        }
        g.setStroke(savedStroke);
    }

    private static Stroke stroke(Series s) {
        return s.dashed()
                ? new BasicStroke(s.widthPx(), BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                        new float[]{6f, 4f}, 0f)
                : new BasicStroke(s.widthPx(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** [min, max] of the finite values, widened when they are all equal; null when there are none. */
    static double[] range(List<Series> series, boolean xAxis) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    double v = xAxis ? s.x()[i] : s.y()[i];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return null;
        }
        if (lo == hi) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[]{lo - pad, hi + pad};
        }
        return new double[]{lo, hi};
    }

    /**
     * Tick values covering [lo, hi]: the step is 1, 2 or 5 times a power of ten giving 4 to 10 intervals, the first
     * and last ticks are multiples of the step at or beyond the data.
     */
    static double[] ticks(double lo, double hi) {
        return ticks(lo, hi, false);
    }

    /** As {@link #ticks(double, double)}; {@code integer} keeps the step at 1 or more (epoch numbers). */
    static double[] ticks(double lo, double hi, boolean integer) {
        double raw = (hi - lo) / 5;
        double pow = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = pow;
        for (double m : new double[]{1, 2, 5, 10}) {
            step = m * pow;
            if (step >= raw) {
                break;
            }
        }
        if (integer && step < 1) {
            step = 1;
        }
        long first = (long) Math.floor(lo / step + 1e-9);
        long last = (long) Math.ceil(hi / step - 1e-9);
        int n = (int) (last - first + 1);
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = (first + i) * step;
        }
        return t;
    }

    /** A lone point's value: 3 significant digits at least, e.g. "12.3", "0.0421". */
    static String valueLabel(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.3g", v);
    }

    /** A tick label with as many decimals as the step needs. */
    static String label(double value, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        if (Math.abs(value) < step * 1e-6) {
            value = 0;
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static int px(double v, double lo, double hi, int x, int w) {
        return (int) Math.round(pxd(v, lo, hi, x, w));
    }

    private static double pxd(double v, double lo, double hi, int x, int w) {
        return x + (v - lo) / (hi - lo) * w;
    }

    private static int py(double v, double lo, double hi, int y, int h) {
        return (int) Math.round(pyd(v, lo, hi, y, h));
    }

    private static double pyd(double v, double lo, double hi, int y, int h) {
        return y + h - (v - lo) / (hi - lo) * h;
    }
}
