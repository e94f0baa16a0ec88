package org.cmarl.engine.eval;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.cmarl.engine.io.AtomicFiles;

/**
 * {@code results.csv} as the published evaluator writes it with Python's {@code csv} module: CRLF line ends, a
 * field quoted when it holds a comma, a quote or a line break; the header {@code number}, then for each agent i in
 * turn {@code Filename i}, {@code Agent i pos x/y/z}, {@code Landmark i pos x/y/z}, {@code Distance i} (mm);
 * agent positions as integers, landmark positions and distances as Python floats ({@code 89.0}); {@code N/A} for the
 * landmark and distance columns in play mode.
 *
 * <p>One row is appended and flushed per finished episode, so an interrupted evaluation keeps the rows of the
 * episodes it finished. Rows come in completion order (episodes run in batches); {@code number} says which episode a
 * row is.
 *
 * <p>Commons CSV also quotes a field that starts with a space, {@code !}, {@code "} or {@code #}, or ends with
 * whitespace (Python's csv does not): only an image named that way gives other bytes, and every CSV reader, Python's
 * included, reads the same values.
 */
public final class ResultsCsv implements Closeable {
    private static final String NOT_AVAILABLE = "N/A";

    private final Path file;
    private final int images;
    private final CSVPrinter printer;

    private ResultsCsv(Path file, int images, CSVPrinter printer) {
        this.file = file;
        this.images = images;
        this.printer = printer;
    }

    /**
     * Creates (or replaces) {@code file} and writes the header.
     *
     * @param agents agents per episode (columns per agent)
     * @param images images per run (for the row numbers)
     */
    public static ResultsCsv create(Path file, int agents, int images) throws IOException {
        if (agents < 1 || images < 1) {
            throw new IllegalArgumentException("results.csv needs at least one agent and one image, got agents="
                    + agents + ", images=" + images);
        }
        Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        CSVPrinter printer = new CSVPrinter(w, CSVFormat.DEFAULT);
        ResultsCsv csv = new ResultsCsv(file, images, printer);
        printer.printRecord(header(agents));
        printer.flush();
        return csv;
    }

    /** Appends the episode's row and flushes it to the file. */
    public void append(EpisodeResult r) throws IOException {
        printer.printRecord(row(r, images));
        printer.flush();
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        printer.close();
    }

    public static List<String> header(int agents) {
        List<String> h = new ArrayList<>(1 + 8 * agents);
        h.add("number");
        for (int i = 0; i < agents; i++) {
            h.add("Filename " + i);
            h.add("Agent " + i + " pos x");
            h.add("Agent " + i + " pos y");
            h.add("Agent " + i + " pos z");
            h.add("Landmark " + i + " pos x");
            h.add("Landmark " + i + " pos y");
            h.add("Landmark " + i + " pos z");
            h.add("Distance " + i);
        }
        return h;
    }

    /** The fields of the episode's row, as Python's csv writes the published values. */
    public static List<String> row(EpisodeResult r, int images) {
        List<String> f = new ArrayList<>(1 + 8 * r.agents());
        f.add(Integer.toString(number(r.run(), r.image(), images)));
        String name = publishedName(r.fileName());
        for (int a = 0; a < r.agents(); a++) {
            f.add(name);
            for (int axis = 0; axis < 3; axis++) {
                f.add(Integer.toString(r.end()[a][axis]));
            }
            // the published landmarks are numpy floats (np.round of the parsed coordinates): "89.0"
            for (int axis = 0; axis < 3; axis++) {
                f.add(r.landmarks() == null ? NOT_AVAILABLE : PythonFloat.repr(r.landmarks()[a][axis]));
            }
            f.add(r.landmarks() == null ? NOT_AVAILABLE : PythonFloat.repr(r.distanceMm()[a]));
        }
        return f;
    }

    /**
     * Writes the whole file atomically (temporary file in the same folder, then rename), rows in {@code results}
     * order. The evaluation ends with this, in episode (queue) order: the rows appended while it ran came in
     * completion order, which depends on {@code --batch_episodes}; the final file does not, and a run sharded over
     * several processes gathers to the same bytes.
     */
    public static void write(Path file, int agents, List<EpisodeResult> results, int images) throws IOException {
        if (agents < 1 || images < 1) {
            throw new IllegalArgumentException("results.csv needs at least one agent and one image, got agents="
                    + agents + ", images=" + images);
        }
        AtomicFiles.write(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT);
            p.printRecord(header(agents));
            for (EpisodeResult r : results) {
                p.printRecord(row(r, images));
            }
            p.flush();
        });
    }

    /**
     * The published row number of the episode on list image {@code image} in run {@code run}: the published
     * evaluator numbers episodes in the order it plays them, {@code run * images + k + 1}, and its k-th episode is on
     * image {@code (k + 1) % images} (the environment's constructor consumes the first image; README of
     * ../shared/reference), so the first image of the list is the last of each run.
     */
    public static int number(int run, int image, int images) {
        return run * images + (image + images - 1) % images + 1;
    }

    /**
     * The file name as the published results give it: the published reader cuts the last 7 characters of the list
     * line ({@code .nii.gz}) and the environment keeps the base name. Names with another extension are kept whole
     * (cutting 7 characters of {@code a.nii} would leave nothing meaningful).
     */
    public static String publishedName(String fileName) {
        return fileName.endsWith(".nii.gz") ? fileName.substring(0, fileName.length() - ".nii.gz".length())
                : fileName;
    }
}
