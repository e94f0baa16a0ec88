package org.cmarl.engine.viz;

import org.cmarl.engine.eval.BatchQFunction;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationLayout;
import org.cmarl.engine.volume.Affine;
import org.cmarl.engine.volume.IntensityStats;
import org.cmarl.engine.volume.Volume;

/** Small synthetic volumes and a fixed-action Q-function for the rendering tests. */
final class VizFixtures {
    private VizFixtures() {
    }

    /** A volume whose voxel (x, y, z) holds (x + 2y + 3z) mod 200: every slice differs, values stay grey. */
    static Volume ramp(String name, int nx, int ny, int nz) {
        Volume v = Volume.allocate(name, nx, ny, nz, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1),
                new IntensityStats(0, 255, 0, 0, 255, 0));
        for (int x = 0; x < nx; x++) {
            for (int y = 0; y < ny; y++) {
                for (int z = 0; z < nz; z++) {
                    v.floatVoxels().putFloat(v.index(x, y, z) * 4, (x + 2 * y + 3 * z) % 200);
                }
            }
        }
        v.deriveBytePlane();
        return v;
    }

    /** Always prefers {@code action} for every agent. */
    static final class FixedActionQ implements BatchQFunction, AutoCloseable {
        final int agents;
        final int capacity;
        final int action;
        final NativeBlock input;
        final FrameRing[] rows;

        FixedActionQ(int agents, int capacity, int action) {
            this.agents = agents;
            this.capacity = capacity;
            this.action = action;
            this.input = NativeBlock.allocate(capacity * inputRowBytes(), 64);
            ObservationLayout layout = new ObservationLayout(agents, FrameType.FLOAT32);
            this.rows = new FrameRing[capacity];
            for (int row = 0; row < capacity; row++) {
                rows[row] = new FrameRing(input, layout.frameOffset(row, 0, 0), layout);
            }
        }

        @Override public int agents() { return agents; }
        @Override public int capacityBatch() { return capacity; }
        @Override public FrameRing inputRow(int row) { return rows[row]; }
        long inputRowAddress(int row) { return rows[row].address(); }
        long inputRowBytes() { return (long) agents * 4 * 45 * 45 * 45 * Float.BYTES; }

        @Override
        public void forward(int batch, float[] qOut) {
            for (int i = 0; i < batch * agents; i++) {
                for (int k = 0; k < 6; k++) {
                    qOut[i * 6 + k] = k == action ? 1f : 0f;
                }
            }
        }

        @Override
        public void close() {
            input.close();
        }
    }
}
