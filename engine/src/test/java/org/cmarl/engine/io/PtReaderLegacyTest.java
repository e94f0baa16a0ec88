package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-made legacy-format files: storage views and the checks specific to that format. */
class PtReaderLegacyTest {
    private static final Path FILE = Path.of("legacy.pt");

    private static byte[] iota(int n) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i);
        }
        return b.array();
    }

    private static byte[] mainPickle(String viewKey, int viewOffset, int viewSize, int offset, int size, int stride) {
        return PickleBytes.proto2().global("collections", "OrderedDict").op(')').op('R').str("w")
                .legacyTensor("100", 12, viewKey, viewOffset, viewSize, offset, new int[] {size}, new int[] {stride})
                .op('s').stop();
    }

    private static float[] floats(TensorData t) {
        float[] out = new float[(int) t.numel()];
        ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    @Test
    void shouldReadThroughStorageViewWhenPersistentIdHasViewMetadata() throws Exception {
        // view of root storage elements 4..9, then tensor offset 1, stride 2: elements 5, 7, 9
        byte[] file = PickleBytes.legacy(PtReader.LEGACY_MAGIC, true, mainPickle("v", 4, 6, 1, 3, 2),
                List.of("100"), List.of(12L), List.of(iota(12)));

        Checkpoint c = PtReader.read(FILE, file);

        assertEquals(Checkpoint.Format.LEGACY, c.format());
        assertArrayEquals(new float[] {5, 7, 9}, floats(c.stateDict().get("w")));
    }

    @Test
    void shouldRejectWhenViewMetadataLeavesTheRootStorage() {
        byte[] file = PickleBytes.legacy(PtReader.LEGACY_MAGIC, true, mainPickle("v", 10, 6, 0, 1, 1),
                List.of("100"), List.of(12L), List.of(iota(12)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertEquals("storage view 'v' (offset 10, 6 elements) is out of the range of storage '100' (12 elements)",
                e.reason());
    }

    @Test
    void shouldRejectWhenStoredElementCountDisagreesWithPersistentId() {
        byte[] file = PickleBytes.legacy(PtReader.LEGACY_MAGIC, true, mainPickle(null, 0, 0, 0, 12, 1),
                List.of("100"), List.of(11L), List.of(iota(11)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertEquals("storage '100' has 11 elements in the file but 12 in its persistent id", e.reason());
    }

    @Test
    void shouldRejectBeforeAllocatingWhenStoredElementCountExceedsTheFile() {
        byte[] file = PickleBytes.legacy(PtReader.LEGACY_MAGIC, true, mainPickle(null, 0, 0, 0, 12, 1),
                List.of("100"), List.of(Long.MAX_VALUE / 2), List.of(iota(12)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertTrue(e.reason().startsWith("truncated: storage '100' at offset "), e.reason());
        assertTrue(e.reason().endsWith(" holds 4611686018427387903 float32 elements, but only 48 bytes are left in "
                + "the file"), e.reason());
    }

    @Test
    void shouldRejectWhenAStorageUsedByATensorIsNotListed() {
        byte[] file = PickleBytes.legacy(PtReader.LEGACY_MAGIC, true, mainPickle(null, 0, 0, 0, 12, 1),
                List.of(), List.of(), List.of());
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertEquals("storage '100' is used by a tensor but missing from the storage list", e.reason());
    }

    @Test
    void shouldRejectWhenMagicNumberIsWrong() {
        byte[] file = PickleBytes.legacy(BigInteger.valueOf(42), true, mainPickle(null, 0, 0, 0, 12, 1),
                List.of("100"), List.of(12L), List.of(iota(12)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertEquals("not a PyTorch checkpoint: legacy magic number is 42, expected 0x1950a86a20f9469cfc6c",
                e.reason());
    }

    @Test
    void shouldRejectWhenSysInfoIsBigEndian() {
        byte[] file = PickleBytes.legacy(PtReader.LEGACY_MAGIC, false, mainPickle(null, 0, 0, 0, 12, 1),
                List.of("100"), List.of(12L), List.of(iota(12)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertTrue(e.reason().contains("does not say little_endian=True"), e.reason());
    }
}
