package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

class ObservationBufferTest {
    @Test
    void shouldExposeWrittenVoxelInTensorViewWithoutCopyWhenWrittenAfterWrapping() {
        try (ObservationBuffer obs = ObservationBuffer.allocate(2, 3, FrameType.FLOAT32);
             PointerScope scope = new PointerScope()) {
            Tensor view = obs.tensor(2);
            // (b=1, a=2, f=3, x=4, y=5, z=6) written through the Agrona view after the tensor exists
            long offset = obs.frameOffsetBytes(1, 2, 3) + ((4L * 45 + 5) * 45 + 6) * 4;
            obs.buffer().putFloat((int) offset, 123.5f);
            assertEquals(123.5f, view.get(1).get(2).get(3).get(4).get(5).get(6).item_float());
            assertEquals(obs.address(), view.data_ptr().address());
            assertEquals(2L * 3 * 4 * 45 * 45 * 45 * 4, 2 * 3 * 4 * obs.frameBytes());
        }
    }

    @Test
    void shouldHandEachEntryOutAsARingOverItsOwnBytesWhenAskedForRings() {
        try (ObservationBuffer obs = ObservationBuffer.allocate(3, 2, FrameType.UINT8)) {
            for (int b = 0; b < 3; b++) {
                assertEquals(obs.address() + obs.frameOffsetBytes(b, 0, 0), obs.ring(b).address());
                assertEquals(0, obs.ring(b).oldestSlot());
                assertEquals(2, obs.ring(b).layout().agents());
            }
            obs.ring(1).advance();
            assertEquals(1, obs.ring(1).oldestSlot(), "each entry carries its own phase");
            assertEquals(0, obs.ring(2).oldestSlot());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> obs.ring(3));
            assertEquals("batch entry 3, capacity 3", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> obs.ring(-1));
        }
    }

    @Test
    void shouldThrowIllegalStateWhenUsedAfterCloseAndIgnoreSecondClose() {
        ObservationBuffer obs = ObservationBuffer.allocate(1, 1, FrameType.UINT8);
        obs.close();
        obs.close();
        assertThrows(IllegalStateException.class, obs::address);
        assertThrows(IllegalStateException.class, obs::buffer);
    }

    @Test
    void shouldNameTheSizesWhenBatchExceedsCapacity() {
        try (ObservationBuffer obs = ObservationBuffer.allocate(2, 1, FrameType.UINT8);
             PointerScope scope = new PointerScope()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> obs.tensor(3));
            assertEquals("batch=3, capacity 2", e.getMessage());
        }
    }

    @Test
    void shouldZeroForeignMemoryAndReleaseItOnceWhenForeignBlockClosed() {
        // The CUDA path hands libtorch's pinned host memory to a NativeBlock; here ordinary memory stands in for it.
        try (NativeBlock backing = NativeBlock.allocate(256, 64)) {
            backing.buffer().setMemory(0, 256, (byte) 7);
            int[] releases = new int[1];
            NativeBlock foreign = NativeBlock.ofForeign(backing.address(), 256, 64, () -> releases[0]++);
            assertEquals(backing.address(), foreign.address());
            assertEquals(0, backing.buffer().getByte(0) + backing.buffer().getByte(255));
            foreign.close();
            foreign.close();
            assertEquals(1, releases[0]);
            assertThrows(IllegalStateException.class, foreign::address);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NativeBlock.ofForeign(backing.address() + 8, 16, 64, () -> { }));
            assertTrue(e.getMessage().endsWith(", required non-zero and a multiple of 64"), e.getMessage());
        }
    }
}
