package org.cmarl.engine.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.cmarl.engine.eval.DistanceStatistics;
import org.cmarl.engine.viz.ProgressPlot;
import org.cmarl.engine.viz.ProgressTable;

/**
 * {@code report.html}: one self-contained page about a run folder (every image inline as a data URI, no script,
 * no external file), for a person or a browser with no access to the folder. It shows what the folder holds:
 * <ul>
 *   <li>the configuration: the command and settings lines of {@code logs.txt};</li>
 *   <li>the curves of {@code progress.csv} (training runs), drawn as {@code rlm plot} draws them;</li>
 *   <li>the per-agent distance table of {@code results.csv} (evaluation runs: episodes, mean, sample std, median,
 *       90th percentile, max) or of the last epoch of {@code progress.csv};</li>
 *   <li>the worst episodes of {@code results.csv} (largest mean distance over agents), each with its GIF when
 *       {@code --saveGif} wrote one.</li>
 * </ul>
 */
public final class RunReport {
    public static final String FILE_NAME = "report.html";
    /** Worst episodes listed. */
    public static final int WORST_EPISODES = 5;
    /** GIFs larger than this are linked by name, not inlined (a 200-step brain GIF is about 12 MB). */
    public static final long MAX_INLINE_GIF_BYTES = 8L << 20;

    private RunReport() {
    }

    /** Writes {@code runDir/report.html} (temporary file, then rename) and returns its path. */
    public static Path write(Path runDir) throws IOException {
        return write(runDir, runDir.resolve(FILE_NAME));
    }

    public static Path write(Path runDir, Path html) throws IOException {
        String page = render(runDir);
        Path dir = html.toAbsolutePath().getParent();
        // a named temporary file (not createTempFile, whose owner-only mode would stay on the renamed page)
        Path tmp = dir.resolve("." + html.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            Files.writeString(tmp, page, StandardCharsets.UTF_8);
            Files.move(tmp, html, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return html;
    }

    /** The page, as a string. */
    public static String render(Path runDir) throws IOException {
        Path name = runDir.toAbsolutePath().normalize().getFileName();
        String title = name == null ? runDir.toString() : name.toString();
        StringBuilder b = new StringBuilder(1 << 16);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(escape(title)).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:24px;color:#111;background:#fff;max-width:1100px}\n")
                .append("table{border-collapse:collapse;margin:8px 0 16px}\n")
                .append("th,td{border:1px solid #bbb;padding:4px 10px;text-align:right}\n")
                .append("th{background:#eee}td.name,th.name{text-align:left}\n")
                .append("pre{background:#f4f4f4;padding:8px;white-space:pre-wrap;word-break:break-all}\n")
                .append("img{max-width:100%;border:1px solid #ccc}figure{display:inline-block;margin:6px}\n")
                .append("</style></head><body>\n<h1>Run ").append(escape(title)).append("</h1>\n");
        configuration(b, runDir.resolve("logs.txt"));
        Path progress = runDir.resolve("progress.csv");
        Path results = runDir.resolve("results.csv");
        if (Files.isRegularFile(progress)) {
            curves(b, progress, title);
        }
        if (Files.isRegularFile(results)) {
            resultsSections(b, results, runDir.resolve("gifs"));
        }
        if (!Files.isRegularFile(progress) && !Files.isRegularFile(results)) {
            b.append("<p>No progress.csv or results.csv in this folder yet.</p>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void configuration(StringBuilder b, Path logs) throws IOException {
        b.append("<h2>Configuration</h2>\n");
        if (!Files.isRegularFile(logs)) {
            b.append("<p>No logs.txt (written with --write).</p>\n");
            return;
        }
        List<String> lines = Files.readAllLines(logs, StandardCharsets.UTF_8);
        List<String> shown = new ArrayList<>();
        for (String l : lines) {
            // the command and the settings block; epoch lines are in the curves and the table
            if (l.startsWith("epoch ") || l.startsWith("warm-up")) {
                continue;
            }
            shown.add(l);
        }
        b.append("<pre id=\"configuration\">").append(escape(String.join("\n", shown))).append("</pre>\n");
    }

    private static void curves(StringBuilder b, Path progress, String title) throws IOException {
        ProgressTable table = ProgressTable.read(progress);
        b.append("<h2>Curves</h2>\n");
        BufferedImage img = ProgressPlot.render(table, title);
        b.append("<img id=\"curves\" alt=\"final distance and loss per epoch\" src=\"").append(pngDataUri(img))
                .append("\">\n");
        if (table.rows() == 0) {
            return;
        }
        b.append("<h2>Distance per agent, last epoch</h2>\n<table id=\"distances\"><tr><th class=\"name\">agent</th>"
                + "<th>train mean (mm)</th><th>validation mean (mm)</th></tr>\n");
        int last = table.rows() - 1;
        for (int a = 0; a < table.agents(); a++) {
            String train = table.has("train_distance_mm_" + a) ? mm(table.column("train_distance_mm_" + a)[last])
                    : "";
            String val = table.has("val_distance_mm_" + a) ? mm(table.column("val_distance_mm_" + a)[last]) : "";
            b.append("<tr><td class=\"name\">").append(a).append("</td><td>").append(train).append("</td><td>")
                    .append(val).append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    /** One results.csv row: its number, file name and per-agent distances (NaN in play mode). */
    record Row(int number, String fileName, double[] distanceMm) {
        double meanMm() {
            double s = 0;
            for (double d : distanceMm) {
                s += d;
            }
            return s / distanceMm.length;
        }
    }

    static List<Row> readResults(Path results) throws IOException {
        List<Row> rows = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(results, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r)) {
            List<String> header = p.getHeaderNames();
            int agents = 0;
            while (header.contains("Distance " + agents)) {
                agents++;
            }
            if (!header.contains("number") || agents == 0) {
                throw new IllegalArgumentException(results + ": not a results.csv (header " + header + ")");
            }
            for (CSVRecord rec : p) {
                double[] d = new double[agents];
                for (int a = 0; a < agents; a++) {
                    String v = rec.get("Distance " + a);
                    d[a] = v.equals("N/A") ? Double.NaN : parse(results, rec, v);
                }
                rows.add(new Row((int) parse(results, rec, rec.get("number")), rec.get("Filename 0"), d));
            }
        }
        return rows;
    }

    private static double parse(Path file, CSVRecord rec, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + " line " + rec.getRecordNumber() + ": '" + v
                    + "' is not a number");
        }
    }

    private static void resultsSections(StringBuilder b, Path results, Path gifs) throws IOException {
        List<Row> rows = readResults(results);
        b.append("<h2>Distance per agent</h2>\n");
        if (rows.isEmpty() || Double.isNaN(rows.get(0).distanceMm()[0])) {
            b.append("<p>").append(rows.size()).append(" episodes, no landmarks (play).</p>\n");
            return;
        }
        int agents = rows.get(0).distanceMm().length;
        b.append("<table id=\"distances\"><tr><th class=\"name\">agent</th><th>episodes</th><th>mean (mm)</th>"
                + "<th>std (mm)</th><th>median (mm)</th><th>p90 (mm)</th><th>max (mm)</th></tr>\n");
        double[] all = new double[rows.size() * agents];
        for (int a = 0; a <= agents; a++) {
            double[] d;
            if (a < agents) {
                d = new double[rows.size()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = rows.get(i).distanceMm()[a];
                    all[i * agents + a] = d[i];
                }
            } else {
                if (agents == 1) {
                    break;
                }
                d = all;
            }
            DistanceStatistics s = DistanceStatistics.of(d);
            b.append("<tr><td class=\"name\">").append(a < agents ? Integer.toString(a) : "all").append("</td><td>")
                    .append(s.episodes()).append("</td><td>").append(mm(s.meanMm())).append("</td><td>")
                    .append(mm(s.stdMm())).append("</td><td>").append(mm(s.medianMm())).append("</td><td>")
                    .append(mm(s.p90Mm())).append("</td><td>").append(mm(s.maxMm())).append("</td></tr>\n");
        }
        b.append("</table>\n");
        List<Row> worst = rows.stream().sorted(Comparator.comparingDouble(Row::meanMm).reversed()
                .thenComparingInt(Row::number)).limit(WORST_EPISODES).toList();
        b.append("<h2>Worst episodes</h2>\n<table id=\"worst\"><tr><th>number</th><th class=\"name\">image</th>"
                + "<th>mean distance (mm)</th></tr>\n");
        for (Row r : worst) {
            b.append("<tr><td>").append(r.number()).append("</td><td class=\"name\">").append(escape(r.fileName()))
                    .append("</td><td>").append(mm(r.meanMm())).append("</td></tr>\n");
        }
        b.append("</table>\n");
        for (Row r : worst) {
            Path gif = gifOf(gifs, r.number());
            if (gif == null) {
                continue;
            }
            b.append("<figure><figcaption>episode ").append(r.number()).append(", ").append(mm(r.meanMm()))
                    .append(" mm</figcaption>");
            if (Files.size(gif) <= MAX_INLINE_GIF_BYTES) {
                b.append("<img alt=\"episode ").append(r.number()).append("\" src=\"data:image/gif;base64,")
                        .append(Base64.getEncoder().encodeToString(Files.readAllBytes(gif))).append("\">");
            } else {
                b.append("<p>").append(escape(gif.getFileName().toString())).append(" (")
                        .append(Files.size(gif) >> 20).append(" MB, not inlined)</p>");
            }
            b.append("</figure>\n");
        }
    }

    /** {@code gifs/episode_<number>_*.gif}, or null. */
    static Path gifOf(Path gifs, int number) throws IOException {
        if (!Files.isDirectory(gifs)) {
            return null;
        }
        String prefix = String.format(Locale.ROOT, "episode_%04d_", number);
        try (Stream<Path> s = Files.list(gifs)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(".gif")).sorted().findFirst().orElse(null);
        }
    }

    static String mm(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    static String pngDataUri(BufferedImage img) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", png)) {
            throw new IOException("no PNG writer in this Java runtime");
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
