package org.cmarl.engine.volume;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * What {@code rlm info} reports about one image: geometry from the header, raw intensity statistics and the mean
 * after the engine's normalisation (SPEC.md section 1).
 *
 * @param file           the image
 * @param dims           {@code nx, ny, nz}
 * @param datatype       on-disk voxel type, e.g. {@code float32}
 * @param spacingMm      voxel size per axis in mm
 * @param affine         voxel index to physical mm, 4x4 (sform, else qform, else spacing)
 * @param stats          raw min / max / mean, p10, p99 (numpy linear) and the normalised mean
 */
public record ImageInfo(Path file, int[] dims, String datatype, double[] spacingMm, double[][] affine,
                        IntensityStats stats) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * Reads and measures {@code file}.
     *
     * @throws ImageFormatException when the image cannot be read or normalised
     */
    public static ImageInfo of(Path file) {
        NiftiHeader header = NiftiReader.readHeader(file);
        IntensityStats stats = new NiftiReader().readStats(file);
        return new ImageInfo(file, new int[]{header.nx(), header.ny(), header.nz()}, header.dataType().displayName(),
                header.spacingMm(), header.voxelToPhysical().matrix(), stats);
    }

    /**
     * The JSON object for {@code file}: {@link #toJson()} of {@link #of(Path)}, or {@code {"file": ..., "error":
     * message}} when the image is unusable. Never throws for a bad image.
     */
    public static ObjectNode describe(Path file) {
        try {
            return of(file).toJson();
        } catch (ImageFormatException e) {
            ObjectNode node = MAPPER.createObjectNode();
            node.put("file", file.toString());
            node.put("error", e.getMessage());
            return node;
        }
    }

    /**
     * Keys {@code file, dims, datatype, spacing, affine, min, max, mean, p10, p99, normalisedMean}, in that order.
     */
    public ObjectNode toJson() {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("file", file.toString());
        ArrayNode d = node.putArray("dims");
        for (int v : dims) {
            d.add(v);
        }
        node.put("datatype", datatype);
        ArrayNode s = node.putArray("spacing");
        for (double v : spacingMm) {
            s.add(v);
        }
        ArrayNode a = node.putArray("affine");
        for (double[] row : affine) {
            ArrayNode r = a.addArray();
            for (double v : row) {
                r.add(v + 0.0); // -0.0 (from qfac or a 180 degree quaternion) prints as 0.0
            }
        }
        node.put("min", stats.rawMin());
        node.put("max", stats.rawMax());
        node.put("mean", stats.rawMean());
        node.put("p10", stats.p10());
        node.put("p99", stats.p99());
        node.put("normalisedMean", stats.normalisedMean());
        return node;
    }
}
