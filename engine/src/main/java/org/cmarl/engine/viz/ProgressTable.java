package org.cmarl.engine.viz;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A training run's {@code progress.csv} (written by train/TrainingLog: one row per epoch, header {@code epoch,
 * episode, agent_steps, eps, lr, loss, train_distance_mm, train_distance_mm_<i>..., train_score, val_distance_mm,
 * val_distance_mm_<i>...}) as columns of doubles; an empty cell (no validation, no update yet) is NaN.
 */
public final class ProgressTable {
    private final Path file;
    private final Map<String, double[]> columns;
    private final int rows;

    private ProgressTable(Path file, Map<String, double[]> columns, int rows) {
        this.file = file;
        this.columns = columns;
        this.rows = rows;
    }

    /**
     * Reads the file.
     *
     * @throws NoSuchFileException      when it is absent
     * @throws ProgressFormatException  naming the file, line and cell when a cell is not a number, a row has the
     *                                  wrong number of cells, or there is no {@code epoch} column
     */
    public static ProgressTable read(Path file) throws IOException {
        List<CSVRecord> records;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(true).setTrim(true).get().parse(r)) {
            records = p.getRecords();
        } catch (CharacterCodingException e) {
            throw new ProgressFormatException(file + ": not UTF-8 text (expected a progress.csv written by training)");
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof CharacterCodingException) {
                throw new ProgressFormatException(file + ": not UTF-8 text (expected a progress.csv written by "
                        + "training)");
            }
            throw new ProgressFormatException(file + ": not a CSV file (" + e.getCause().getMessage() + ")");
        }
        if (records.isEmpty() || records.get(0).get(0).isEmpty()) {
            throw new ProgressFormatException(file + " is empty, expected a header line starting with 'epoch'");
        }
        String[] header = records.get(0).values();
        if (!"epoch".equals(header[0])) {
            throw new ProgressFormatException(file + ": header starts with '" + header[0] + "', expected 'epoch'"
                    + " (a progress.csv written by training)");
        }
        List<double[]> data = new ArrayList<>();
        for (CSVRecord rec : records.subList(1, records.size())) {
            // training writes no blank line and no quoted line break: the record number is the line number
            long line = rec.getRecordNumber();
            if (rec.size() != header.length) {
                throw new ProgressFormatException(file + " line " + line + ": " + rec.size() + " cells, expected "
                        + header.length + " as in the header");
            }
            double[] row = new double[rec.size()];
            for (int c = 0; c < rec.size(); c++) {
                String cell = rec.get(c);
                try {
                    row[c] = cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
                } catch (NumberFormatException e) {
                    throw new ProgressFormatException(file + " line " + line + " column " + header[c] + ": '"
                            + cell + "' is not a number");
                }
            }
            data.add(row);
        }
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (int c = 0; c < header.length; c++) {
            double[] col = new double[data.size()];
            for (int r = 0; r < col.length; r++) {
                col[r] = data.get(r)[c];
            }
            columns.put(header[c], col);
        }
        return new ProgressTable(file, columns, data.size());
    }

    public Path file() {
        return file;
    }

    /** Number of epochs (data rows). */
    public int rows() {
        return rows;
    }

    public boolean has(String column) {
        return columns.containsKey(column);
    }

    /** A column's values (a copy), NaN where the cell was empty. */
    public double[] column(String name) {
        double[] c = columns.get(name);
        if (c == null) {
            throw new IllegalArgumentException(file + " has no column '" + name + "'; columns: " + columns.keySet());
        }
        return c.clone();
    }

    /** Number of agents: how many {@code train_distance_mm_<i>} columns there are. */
    public int agents() {
        int n = 0;
        while (columns.containsKey("train_distance_mm_" + n)) {
            n++;
        }
        return n;
    }
}
