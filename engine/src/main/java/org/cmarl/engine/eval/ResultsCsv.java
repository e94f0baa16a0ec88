package org.cmarl.engine.eval;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code results.csv} with the published header: {@code number}, then for each agent i in turn {@code Filename i},
 * {@code Agent i pos x/y/z}, {@code Landmark i pos x/y/z}, {@code Distance i} (mm); {@code N/A} for the landmark and
 * distance columns in play mode. Rows are numbered {@code run * images + image + 1}.
 */
public final class ResultsCsv {
    private ResultsCsv() {
    }

    public static String header(int agents) {
        StringBuilder b = new StringBuilder("number");
        for (int i = 0; i < agents; i++) {
            b.append(",Filename ").append(i)
                    .append(",Agent ").append(i).append(" pos x")
                    .append(",Agent ").append(i).append(" pos y")
                    .append(",Agent ").append(i).append(" pos z")
                    .append(",Landmark ").append(i).append(" pos x")
                    .append(",Landmark ").append(i).append(" pos y")
                    .append(",Landmark ").append(i).append(" pos z")
                    .append(",Distance ").append(i);
        }
        return b.toString();
    }

    public static String row(EpisodeResult r, int images) {
        StringBuilder b = new StringBuilder();
        b.append(r.run() * images + r.image() + 1);
        for (int a = 0; a < r.agents(); a++) {
            b.append(',').append(r.fileName());
            for (int axis = 0; axis < 3; axis++) {
                b.append(',').append(r.end()[a][axis]);
            }
            for (int axis = 0; axis < 3; axis++) {
                b.append(',').append(r.landmarks() == null ? "N/A" : Integer.toString(r.landmarks()[a][axis]));
            }
            b.append(',').append(r.landmarks() == null ? "N/A" : Double.toString(r.distanceMm()[a]));
        }
        return b.toString();
    }

    /** Writes the results to {@code file} atomically (temporary file in the same folder, then rename). */
    public static void write(Path file, List<EpisodeResult> results, int images) throws IOException {
        if (results.isEmpty()) {
            throw new IllegalArgumentException("no results to write to " + file);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        org.cmarl.engine.io.AtomicFiles.write(file, out -> {
            Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(header(results.get(0).agents()));
            w.write('\n');
            for (EpisodeResult r : results) {
                w.write(row(r, images));
                w.write('\n');
            }
            w.flush();
        });
    }
}
