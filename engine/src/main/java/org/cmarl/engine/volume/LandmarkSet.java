package org.cmarl.engine.volume;

import java.nio.file.Path;

/**
 * All landmarks of one landmark file, as continuous voxel coordinates {@code (x, y, z)} of the paired image
 * (cardiac points already mapped from physical space), one row per landmark in file order.
 *
 * @param file   the landmark file (for error messages)
 * @param points {@code points[row] = {x, y, z}} in voxel units, unrounded
 */
public record LandmarkSet(Path file, double[][] points) {

    public LandmarkSet {
        double[][] copy = new double[points.length][];
        for (int i = 0; i < points.length; i++) {
            copy[i] = points[i].clone();
        }
        points = copy;
    }

    @Override
    public double[][] points() {
        double[][] copy = new double[points.length][];
        for (int i = 0; i < points.length; i++) {
            copy[i] = points[i].clone();
        }
        return copy;
    }

    /** Number of rows (landmarks) in the file. */
    public int count() {
        return points.length;
    }

    /**
     * Landmark {@code landmarkId} as an integer voxel, rounded half to even (numpy's {@code round}, SPEC.md
     * section 2), checked to lie inside an {@code nx x ny x nz} image.
     *
     * <p>The engine takes row {@code landmarkId} itself. The published code takes row {@code id % 15} (brain),
     * {@code id % 6} (cardiac) or {@code id % 13} (fetal), which silently wraps an id past the end to another
     * landmark; that quirk is deliberately NOT reproduced (SPEC.md section 2): an id outside the file is an error.
     *
     * @throws ImageFormatException when the id is outside the file or the voxel is outside the image
     */
    public int[] voxel(int landmarkId, int nx, int ny, int nz) {
        if (landmarkId < 0 || landmarkId >= points.length) {
            throw new ImageFormatException("landmark file " + file + " has " + points.length + " rows, landmark id "
                    + landmarkId + " requested (ids are 0-based rows)");
        }
        double[] p = points[landmarkId];
        int[] v = {(int) Math.rint(p[0]), (int) Math.rint(p[1]), (int) Math.rint(p[2])};
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[0] >= nx || v[1] >= ny || v[2] >= nz) {
            throw new ImageFormatException("landmark file " + file + ": landmark " + landmarkId + " at voxel ("
                    + v[0] + ", " + v[1] + ", " + v[2] + ") is outside the " + nx + "x" + ny + "x" + nz + " image");
        }
        return v;
    }

    /** {@link #voxel(int, int, int, int)} against the volume's dims. */
    public int[] voxel(int landmarkId, Volume image) {
        return voxel(landmarkId, image.nx(), image.ny(), image.nz());
    }
}
