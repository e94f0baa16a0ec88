package org.cmarl.engine.volume;

import java.nio.file.Path;

/**
 * The voxels of a NIfTI image as float32 after slope/intercept, before intensity normalisation, in the file's order
 * ({@code index = x + nx * (y + ny * z)}, x fastest). For tools and tests; the engine itself uses {@link Volume}.
 *
 * @param file   where it was read from
 * @param header its parsed header
 * @param values {@code header.voxelCount()} values (the array is the caller's, not shared with the reader)
 */
public record RawImage(Path file, NiftiHeader header, float[] values) {

    /** Value at voxel (x, y, z) of the NIfTI array. */
    public float value(int x, int y, int z) {
        return values[x + header.nx() * (y + header.ny() * z)];
    }
}
