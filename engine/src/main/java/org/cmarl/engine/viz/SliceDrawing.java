package org.cmarl.engine.viz;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;

import org.agrona.concurrent.UnsafeBuffer;
import org.cmarl.engine.volume.Volume;

/**
 * Draws one slice of a {@link Volume} into part of an image, and maps voxel coordinates to pixels.
 *
 * <p>A slice is the plane {@code axis = index}; its in-plane axes are {@code u} (the lower remaining axis, left to
 * right) and {@code v} (the higher, bottom to top): axial (z fixed) shows x across and y up, as the published
 * viewer's {@code flipud(transpose(plane))}; coronal (y fixed) shows x across and z up; sagittal (x fixed) y across
 * and z up. Pixel of voxel {@code (u, v)}: column {@code u * k}, row {@code (nv - 1 - v) * k} from the slice's
 * corner, {@code k = pixelsPerVoxel}.
 */
public final class SliceDrawing {
    private SliceDrawing() {
    }

    /** The in-plane axis drawn left to right for a slice normal to {@code axis}. */
    public static int uAxis(int axis) {
        return axis == 0 ? 1 : 0;
    }

    /** The in-plane axis drawn bottom to top for a slice normal to {@code axis}. */
    public static int vAxis(int axis) {
        return axis == 2 ? 1 : 2;
    }

    /** Slice width in pixels. */
    public static int widthPx(Volume image, int axis, int pixelsPerVoxel) {
        return image.dim(uAxis(axis)) * pixelsPerVoxel;
    }

    /** Slice height in pixels. */
    public static int heightPx(Volume image, int axis, int pixelsPerVoxel) {
        return image.dim(vAxis(axis)) * pixelsPerVoxel;
    }

    /** Column (from the slice's left edge) of the left edge of voxel {@code u}. */
    public static int columnPx(int u, int pixelsPerVoxel) {
        return u * pixelsPerVoxel;
    }

    /** Row (from the slice's top edge) of the top edge of voxel {@code v} on an axis of {@code nv} voxels. */
    public static int rowPx(int v, int nv, int pixelsPerVoxel) {
        return (nv - 1 - v) * pixelsPerVoxel;
    }

    /**
     * Fills the slice {@code axis = index} at {@code (leftPx, topPx)}: palette grey indices into an indexed image
     * (see {@link Palette}), grey RGB into any other. Allocates nothing but a 3-int index on the indexed path. {@code index} is clamped into the image.
     */
    public static void draw(Volume image, int axis, int index, BufferedImage target, int leftPx, int topPx,
                            int pixelsPerVoxel) {
        final int ua = uAxis(axis);
        final int va = vAxis(axis);
        final int nu = image.dim(ua);
        final int nv = image.dim(va);
        final int k = pixelsPerVoxel;
        final int fixed = Math.max(0, Math.min(image.dim(axis) - 1, index));
        if (target.getType() == BufferedImage.TYPE_BYTE_INDEXED
                && target.getRaster().getDataBuffer() instanceof DataBufferByte buffer
                && target.getRaster().getSampleModel() instanceof PixelInterleavedSampleModel model
                && model.getPixelStride() == 1) {
            // Straight into the frame's bytes: one palette index per pixel, rows scanlineStride apart. This is
            // the per-step cost of --saveGif, so no per-pixel Raster calls. The inner loop runs along v, the
            // higher axis, whose voxels are closer in memory (z fastest, then y: Volume's layout): along u the
            // stride would be ny * nz floats (158 KB on the brain scans), a TLB miss per voxel.
            final byte[] pixels = buffer.getData();
            final int stride = model.getScanlineStride();
            final UnsafeBuffer voxels = image.floatVoxels();
            final int[] strideOf = {image.ny() * image.nz(), image.nz(), 1};
            final int base = fixed * strideOf[axis];
            final int uStride = strideOf[ua];
            final int vStride = strideOf[va];
            for (int u = 0; u < nu; u++) {
                final int col = leftPx + u * k;
                int at0 = base + u * uStride;
                for (int v = 0; v < nv; v++, at0 += vStride) {
                    final byte idx = (byte) Palette.greyIndex(voxels.getFloat(at0 * Float.BYTES));
                    final int row = topPx + (nv - 1 - v) * k;
                    for (int dy = 0; dy < k; dy++) {
                        final int at = (row + dy) * stride + col;
                        for (int dx = 0; dx < k; dx++) {
                            pixels[at + dx] = idx;
                        }
                    }
                }
            }
            return;
        }
        final int[] xyz = new int[3];
        xyz[axis] = fixed;
        for (int v = 0; v < nv; v++) {
            xyz[va] = v;
            int row = topPx + rowPx(v, nv, k);
            for (int u = 0; u < nu; u++) {
                xyz[ua] = u;
                float value = image.value(xyz[0], xyz[1], xyz[2]);
                int col = leftPx + u * k;
                int g = (int) Math.max(0, Math.min(255, value));
                int rgb = 0xff000000 | (g << 16) | (g << 8) | g;
                for (int dy = 0; dy < k; dy++) {
                    for (int dx = 0; dx < k; dx++) {
                        target.setRGB(col + dx, row + dy, rgb);
                    }
                }
            }
        }
    }
}
