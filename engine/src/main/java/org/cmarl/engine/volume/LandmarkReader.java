package org.cmarl.engine.volume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads the published landmark formats (SPEC.md section 2) into a {@link LandmarkSet} of voxel coordinates.
 *
 * <ul>
 *   <li>brain: one landmark per line, {@code x,y,z}, voxel units;</li>
 *   <li>fetal: one landmark per line, {@code x y z} (any run of spaces or tabs), voxel units;</li>
 *   <li>cardiac: VTK polydata whose 0-based lines 5 and 6 hold the point coordinates (triples, possibly several per
 *       line). As the published code does, x and y are negated (RAS -> ITK's LPS) and the point is mapped to a
 *       continuous index with ITK's LPS affine, which is the NIfTI affine with its first two rows negated; the two
 *       negations cancel, so the voxel is {@code inverse(niftiAffine) * (x, y, z)} of the numbers in the file.</li>
 * </ul>
 * Trailing blank lines are ignored; a blank or malformed line before the last landmark is an error naming the line
 * (1-based), because skipping it would shift every later landmark id.
 */
public final class LandmarkReader {
    private static final Pattern WHITESPACE = Pattern.compile("[ \\t]+");
    /** 0-based VTK lines holding the points (SPEC.md section 2). */
    private static final int VTK_FIRST_POINT_LINE = 5;
    private static final int VTK_LAST_POINT_LINE = 6;

    private LandmarkReader() {
    }

    /**
     * @param voxelToPhysical the paired image's affine; used only for {@link FileType#CARDIAC} (may be null otherwise)
     */
    public static LandmarkSet read(Path file, FileType type, Affine voxelToPhysical) {
        List<String> lines = readLines(file);
        return switch (type) {
            case BRAIN -> new LandmarkSet(file, parseRows(file, lines, ","));
            case FETAL -> new LandmarkSet(file, parseRows(file, lines, null));
            case CARDIAC -> new LandmarkSet(file, parseVtk(file, lines, voxelToPhysical));
        };
    }

    /** Reads landmark {@code landmarkId} of {@code file} as a voxel of {@code image} (see {@link LandmarkSet#voxel}). */
    public static int[] landmark(Path file, FileType type, int landmarkId, Volume image) {
        return read(file, type, image.voxelToPhysical()).voxel(landmarkId, image);
    }

    private static List<String> readLines(Path file) {
        String unreadable = FileProblem.whyNotReadable(file);
        if (unreadable != null) {
            throw new ImageFormatException("landmark file " + file + ": " + unreadable);
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            // a UTF-8 byte order mark (Windows editors write one) is not part of the first number
            if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
                lines.set(0, lines.get(0).substring(1));
            }
            return lines;
        } catch (IOException e) {
            throw new ImageFormatException("landmark file " + file + ": " + FileProblem.describe(file, e), e);
        }
    }

    private static double[][] parseRows(Path file, List<String> lines, String separator) {
        int last = lines.size() - 1;
        while (last >= 0 && lines.get(last).isBlank()) {
            last--;
        }
        if (last < 0) {
            throw new ImageFormatException("landmark file " + file + " is empty, expected one landmark per line");
        }
        double[][] rows = new double[last + 1][];
        for (int i = 0; i <= last; i++) {
            String line = lines.get(i).strip();
            String[] parts = separator == null ? WHITESPACE.split(line) : line.split(separator, -1);
            rows[i] = parseTriple(file, i + 1, line, parts, separator == null ? "x y z" : "x,y,z");
        }
        return rows;
    }

    private static double[] parseTriple(Path file, int lineNumber, String line, String[] parts, String expected) {
        if (parts.length != 3) {
            throw new ImageFormatException("landmark file " + file + " line " + lineNumber + ": \"" + line
                    + "\" has " + parts.length + " fields, expected \"" + expected + "\"");
        }
        double[] p = new double[3];
        for (int k = 0; k < 3; k++) {
            p[k] = parseNumber(file, lineNumber, line, parts[k]);
        }
        return p;
    }

    private static double parseNumber(Path file, int lineNumber, String line, String field) {
        try {
            double v = Double.parseDouble(field.strip());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException("not finite");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ImageFormatException("landmark file " + file + " line " + lineNumber + ": \"" + field.strip()
                    + "\" in \"" + line + "\" is not a finite number", e);
        }
    }

    private static double[][] parseVtk(Path file, List<String> lines, Affine affine) {
        if (affine == null) {
            throw new IllegalArgumentException("cardiac landmarks need the image's affine");
        }
        if (lines.size() <= VTK_LAST_POINT_LINE) {
            throw new ImageFormatException("landmark file " + file + " has " + lines.size() + " lines, a cardiac VTK "
                    + "file needs its points on lines " + (VTK_FIRST_POINT_LINE + 1) + " and " + (VTK_LAST_POINT_LINE + 1));
        }
        List<Double> numbers = new ArrayList<>();
        for (int i = VTK_FIRST_POINT_LINE; i <= VTK_LAST_POINT_LINE; i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            for (String field : WHITESPACE.split(line)) {
                numbers.add(parseNumber(file, i + 1, line, field));
            }
        }
        if (numbers.isEmpty() || numbers.size() % 3 != 0) {
            throw new ImageFormatException("landmark file " + file + ": lines " + (VTK_FIRST_POINT_LINE + 1) + "-"
                    + (VTK_LAST_POINT_LINE + 1) + " hold " + numbers.size() + " numbers, expected x y z triples");
        }
        // ITK (the published reader) keeps physical space in LPS: its voxel->physical matrix is the NIfTI (RAS)
        // affine with rows x and y negated
        double[][] m = affine.matrix();
        for (int c = 0; c < 4; c++) {
            m[0][c] = -m[0][c];
            m[1][c] = -m[1][c];
        }
        Affine lpsAffine = new Affine(m);
        double[][] points = new double[numbers.size() / 3][];
        for (int p = 0; p < points.length; p++) {
            // SPEC.md section 2: the file's points are LPS-flipped: negate x and y, then physical -> voxel
            double x = -numbers.get(3 * p);
            double y = -numbers.get(3 * p + 1);
            double z = numbers.get(3 * p + 2);
            points[p] = lpsAffine.toVoxel(x, y, z);
        }
        return points;
    }
}
