package org.cmarl.engine.observation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.agrona.concurrent.UnsafeBuffer;
import org.cmarl.engine.memory.NativeBlock;
import org.junit.jupiter.api.Test;

class FrameRingTest {
    private static final ObservationLayout TWO_AGENTS_U8 = new ObservationLayout(2, FrameType.UINT8);
    private static final int FRAME = ObservationGeometry.FRAME_VOXELS;

    /** Marks every byte of slot {@code slot} of agent {@code agent} with {@code 10 * agent + tag}. */
    private static void fillSlot(FrameRing ring, int agent, int slot, int tag) {
        UnsafeBuffer view = ring.block().buffer();
        view.setMemory((int) (ring.offsetBytes() + ring.slotOffset(agent, slot)), FRAME, (byte) (10 * agent + tag));
    }

    private static byte slotByte(FrameRing ring, int agent, int slot, int voxel) {
        return ring.block().buffer().getByte((int) (ring.offsetBytes() + ring.slotOffset(agent, slot)) + voxel);
    }

    @Test
    void shouldRefuseRingWhenTheRegionDoesNotFitInTheBlock() {
        long entry = TWO_AGENTS_U8.batchEntryBytes();
        try (NativeBlock block = NativeBlock.allocate(entry + 10, 64)) {
            new FrameRing(block, 10, TWO_AGENTS_U8); // exactly fits
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FrameRing(block, 11, TWO_AGENTS_U8));
            assertEquals("observation block of 729010 bytes at offset 11 is too small: required 729000 bytes "
                    + "(2 agents x 4 frames x 45^3 x UINT8)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new FrameRing(block, -1, TWO_AGENTS_U8));
            assertThrows(IllegalArgumentException.class, () -> new FrameRing(block, Long.MAX_VALUE, TWO_AGENTS_U8));
            assertThrows(IllegalArgumentException.class, () -> new FrameRing(null, 0, TWO_AGENTS_U8));
            assertThrows(IllegalArgumentException.class,
                    () -> new FrameRing(block, 0, new ObservationLayout(2, FrameType.FLOAT32)));
        }
    }

    @Test
    void shouldRefuseRingWhenTheBlockIsClosed() {
        NativeBlock block = NativeBlock.allocate(TWO_AGENTS_U8.batchEntryBytes(), 64);
        FrameRing ring = new FrameRing(block, 0, TWO_AGENTS_U8);
        block.close();
        assertThrows(IllegalStateException.class, () -> new FrameRing(block, 0, TWO_AGENTS_U8));
        assertThrows(IllegalStateException.class, ring::address);
    }

    @Test
    void shouldKeepCanonicalFrameKInSlotOldestPlusKWhenAdvanced() {
        try (NativeBlock block = NativeBlock.allocate(TWO_AGENTS_U8.batchEntryBytes(), 64)) {
            FrameRing ring = new FrameRing(block, 0, TWO_AGENTS_U8);
            assertEquals(0, ring.oldestSlot());
            assertEquals(3, ring.newestSlot());
            for (int step = 1; step <= 9; step++) {
                ring.advance();
                assertEquals(step % 4, ring.oldestSlot());
                assertEquals((step + 3) % 4, ring.newestSlot());
                for (int k = 0; k < 4; k++) {
                    assertEquals((step + k) % 4, ObservationGeometry.slotOf(ring.oldestSlot(), k));
                }
                assertEquals(TWO_AGENTS_U8.frameOffset(1, ring.newestSlot()), ring.newestFrameOffset(1));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ring.setOldestSlot(4));
            assertEquals("oldest frame slot=4, expected 0..3", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ring.setOldestSlot(-1));
        }
    }

    @Test
    void shouldZeroEverySlotButSlotZeroWhenAHistoryStarts() {
        try (NativeBlock block = NativeBlock.allocate(TWO_AGENTS_U8.batchEntryBytes(), 64)) {
            FrameRing ring = new FrameRing(block, 0, TWO_AGENTS_U8);
            for (int a = 0; a < 2; a++) {
                for (int slot = 0; slot < 4; slot++) {
                    fillSlot(ring, a, slot, slot + 1);
                }
            }
            ring.setOldestSlot(2);
            ring.startHistory();
            assertEquals(0, ring.oldestSlot());
            for (int a = 0; a < 2; a++) {
                assertEquals(10 * a + 1, slotByte(ring, a, 0, FRAME - 1), "slot 0 is left to the first push");
                for (int slot = 1; slot < 4; slot++) {
                    for (int v = 0; v < FRAME; v += 997) {
                        assertEquals(0, slotByte(ring, a, slot, v));
                    }
                    assertEquals(0, slotByte(ring, a, slot, FRAME - 1));
                }
            }
        }
    }

    @Test
    void shouldCopyFramesOldestFirstAndDeclarePhaseZeroWhenCopiedCanonically() {
        long entry = TWO_AGENTS_U8.batchEntryBytes();
        try (NativeBlock src = NativeBlock.allocate(entry, 64);
             NativeBlock dst = NativeBlock.allocate(3 * entry, 64)) {
            FrameRing ring = new FrameRing(src, 0, TWO_AGENTS_U8);
            FrameRing row = new FrameRing(dst, TWO_AGENTS_U8.frameOffset(1, 0, 0), TWO_AGENTS_U8);
            ring.setOldestSlot(3);
            row.setOldestSlot(2);
            for (int a = 0; a < 2; a++) {
                for (int k = 0; k < 4; k++) {
                    fillSlot(ring, a, (3 + k) % 4, k); // canonical frame k tagged k
                }
            }
            ring.copyCanonicalTo(row);
            assertEquals(0, row.oldestSlot());
            assertEquals(3, ring.oldestSlot(), "the source keeps its order");
            for (int a = 0; a < 2; a++) {
                for (int k = 0; k < 4; k++) {
                    assertEquals(10 * a + k, slotByte(row, a, k, 0));
                    assertEquals(10 * a + k, slotByte(row, a, k, FRAME - 1));
                }
            }
            assertEquals(0, dst.buffer().getByte((int) entry - 1), "entry 0 untouched");
            assertEquals(0, dst.buffer().getByte((int) (2 * entry)), "entry 2 untouched");
        }
    }

    @Test
    void shouldRefuseCanonicalCopyWhenTheDestinationHoldsAnotherShape() {
        try (NativeBlock src = NativeBlock.allocate(TWO_AGENTS_U8.batchEntryBytes(), 64);
             NativeBlock dst = NativeBlock.allocate(TWO_AGENTS_U8.batchEntryBytes(), 64)) {
            FrameRing ring = new FrameRing(src, 0, TWO_AGENTS_U8);
            FrameRing oneAgent = new FrameRing(dst, 0, new ObservationLayout(1, FrameType.UINT8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ring.copyCanonicalTo(oneAgent));
            assertEquals("destination observation of 1 agents (UINT8), expected 2 agents (UINT8)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ring.copyCanonicalTo(null));
        }
    }

    @Test
    void shouldPlaceEveryFrameAtTheOneOffsetFormulaWhenLaidOutInBatches() {
        ObservationLayout layout = new ObservationLayout(3, FrameType.FLOAT32);
        long frame = 45L * 45 * 45 * 4;
        assertEquals(frame, layout.frameBytes());
        assertEquals(((2L * 3 + 1) * 4 + 2) * frame, layout.frameOffset(2, 1, 2));
        assertEquals(3 * 4 * frame, layout.batchEntryBytes());
        assertEquals(5 * 3 * 4 * frame, layout.totalBytes(5));
        assertEquals(45L * 45 * 45, ObservationGeometry.frameBytes(FrameType.UINT8));
    }
}
