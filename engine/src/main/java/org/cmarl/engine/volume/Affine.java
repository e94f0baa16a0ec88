package org.cmarl.engine.volume;

import java.util.Arrays;

/**
 * A 4x4 homogeneous voxel-to-physical transform (NIfTI sform/qform, millimetres), with its inverse.
 * Immutable.
 */
public final class Affine {
    private final double[][] m;
    private final double[][] inverse;

    public Affine(double[][] matrix) {
        if (matrix.length != 4) {
            throw new IllegalArgumentException("affine must be 4x4, got " + matrix.length + " rows");
        }
        this.m = new double[4][];
        for (int r = 0; r < 4; r++) {
            if (matrix[r].length != 4) {
                throw new IllegalArgumentException("affine must be 4x4, row " + r + " has " + matrix[r].length);
            }
            this.m[r] = matrix[r].clone();
            for (int c = 0; c < 4; c++) {
                if (!Double.isFinite(m[r][c])) {
                    // a NaN would put every landmark at NaN (or 0,0,0 after a cast) and every distance with it
                    throw new IllegalArgumentException("affine entry [" + r + "][" + c + "] is " + m[r][c]
                            + ", expected a finite number");
                }
            }
        }
        this.inverse = invert(m);
        for (double[] row : inverse) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("affine inverse overflows (entries up to " + v + ")");
                }
            }
        }
    }

    /** Diagonal scaling by the spacing: NIfTI method 1 (no qform, no sform). */
    public static Affine scaling(double sx, double sy, double sz) {
        return new Affine(new double[][]{{sx, 0, 0, 0}, {0, sy, 0, 0}, {0, 0, sz, 0}, {0, 0, 0, 1}});
    }

    public double[][] matrix() {
        double[][] c = new double[4][];
        for (int r = 0; r < 4; r++) {
            c[r] = m[r].clone();
        }
        return c;
    }

    public double get(int row, int col) { return m[row][col]; }

    /** Voxel (continuous index) to physical millimetres. */
    public double[] toPhysical(double i, double j, double k) {
        return apply(m, i, j, k);
    }

    /** Physical millimetres to continuous voxel index. */
    public double[] toVoxel(double x, double y, double z) {
        return apply(inverse, x, y, z);
    }

    private static double[] apply(double[][] a, double x, double y, double z) {
        return new double[]{
                a[0][0] * x + a[0][1] * y + a[0][2] * z + a[0][3],
                a[1][0] * x + a[1][1] * y + a[1][2] * z + a[1][3],
                a[2][0] * x + a[2][1] * y + a[2][2] * z + a[2][3]};
    }

    /** Gauss-Jordan with partial pivoting; a singular affine is a broken header. */
    private static double[][] invert(double[][] a) {
        int n = 4;
        double[][] w = new double[n][2 * n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(a[r], 0, w[r], 0, n);
            w[r][n + r] = 1;
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(w[r][c]) > Math.abs(w[p][c])) {
                    p = r;
                }
            }
            if (Math.abs(w[p][c]) < 1e-12) {
                throw new IllegalArgumentException("affine is singular: " + Arrays.deepToString(a));
            }
            double[] t = w[c];
            w[c] = w[p];
            w[p] = t;
            double d = w[c][c];
            for (int k = 0; k < 2 * n; k++) {
                w[c][k] /= d;
            }
            for (int r = 0; r < n; r++) {
                if (r != c && w[r][c] != 0) {
                    double f = w[r][c];
                    for (int k = 0; k < 2 * n; k++) {
                        w[r][k] -= f * w[c][k];
                    }
                }
            }
        }
        double[][] inv = new double[n][n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(w[r], n, inv[r], 0, n);
        }
        return inv;
    }

    @Override
    public String toString() {
        return Arrays.deepToString(m);
    }
}
