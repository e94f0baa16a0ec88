package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hand-made checkpoints: strided views the reader must resolve, and hostile files it must refuse. */
class PtReaderRejectionTest {
    private static final Path FILE = Path.of("crafted.pt");

    /** Storage of 12 float32 values 0, 1, ..., 11. */
    private static byte[] iota12() {
        ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) {
            b.putFloat(i);
        }
        return b.array();
    }

    private static byte[] oneTensorFile(int numel, int offset, int[] size, int[] stride, byte[] storage) {
        byte[] pickle = PickleBytes.proto2().global("collections", "OrderedDict").op(')').op('R')
                .str("w").tensor("FloatStorage", "0", numel, offset, size, stride).op('s').stop();
        return PickleBytes.zip(pickle, Map.of("0", storage));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        // offset; size; stride
        "0; 3 4; 4 1",          // contiguous
        "0; 4 3; 1 4",          // transposed
        "1; 2 3; 4 2",          // offset and step 2
        "5; 3; 0",              // expanded (stride 0)
        "11; ; ",               // scalar at the last element
        "2; 2 1 3; 6 100 1"})   // size-1 dimension with an arbitrary stride
    void shouldCopyStridedViewRowMajorWhenTensorIsAViewOfItsStorage(int offset, String sizeText, String strideText)
            throws Exception {
        int[] size = ints(sizeText);
        int[] stride = ints(strideText);

        TensorData t = PtReader.read(FILE, oneTensorFile(12, offset, size, stride, iota12())).stateDict().get("w");

        // Oracle: element at multi-index i is storage[offset + sum(i_d * stride_d)], visited row-major.
        int count = Arrays.stream(size).reduce(1, (a, b) -> a * b);
        float[] expected = new float[count];
        for (int flat = 0; flat < count; flat++) {
            int rest = flat;
            int element = offset;
            for (int d = size.length - 1; d >= 0; d--) {
                element += (rest % size[d]) * stride[d];
                rest /= size[d];
            }
            expected[flat] = element; // the storage holds its own indices
        }
        float[] actual = new float[count];
        ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(actual);
        assertArrayEquals(expected, actual);
        assertArrayEquals(Arrays.stream(size).asLongStream().toArray(), t.shape());
    }

    @Test
    void shouldRejectWhenViewReachesPastItsStorage() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, oneTensorFile(12, 3, new int[] {10}, new int[] {1}, iota12())));
        assertTrue(e.reason().contains("reaches element 12, out of the storage range"), e.reason());
    }

    @Test
    void shouldRejectWhenStorageEntrySizeDisagreesWithDeclaredElementCount() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, oneTensorFile(1_000_000_000, 0, new int[] {1}, new int[] {1}, iota12())));
        assertTrue(e.reason().contains("declares 1000000000 float32 elements (4000000000 bytes) but its entry has 48"),
                e.reason());
    }

    @Test
    void shouldRejectBeforeAllocatingWhenExpandedViewIsHuge() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE,
                oneTensorFile(12, 0, new int[] {100_000, 100_000}, new int[] {0, 0}, iota12())));
        assertTrue(e.reason().contains("10000000000 elements is too large to load"), e.reason());
    }

    @Test
    void shouldRejectWhenStrideIsNegative() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, oneTensorFile(12, 11, new int[] {3}, new int[] {-1}, iota12())));
        assertTrue(e.reason().contains("negative size or stride"), e.reason());
    }

    @Test
    void shouldRejectWhenStorageKeyHasNoEntry() {
        byte[] pickle = PickleBytes.proto2().tensor("FloatStorage", "7", 12, 0, new int[] {12}, new int[] {1}).stop();
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, PickleBytes.zip(pickle, Map.of("0", iota12()))));
        assertEquals("storage '7' has no zip entry archive/data/7", e.reason());
    }

    @ParameterizedTest
    @CsvSource({
        "os, system",
        "builtins, eval",
        "torch, load",
        "numpy.core.multiarray, _reconstruct",
        "torch._utils, _rebuild_device_tensor_from_numpy"})
    void shouldRejectNamingTheGlobalWhenPickleUsesAGlobalOutsideTheAllowList(String module, String name) {
        byte[] pickle = PickleBytes.proto2().global(module, name).str("echo hi").op(0x85).op('R').stop();
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, PickleBytes.zip(pickle, Map.of())));
        assertTrue(e.reason().contains("refuses global " + module + "." + name), e.reason());
        assertEquals(FILE, e.file());
    }

    @Test
    void shouldRejectWhenAllowedGlobalIsUsedAsSomethingElse() {
        // torch.FloatStorage is allowed only inside a persistent id, never called
        byte[] pickle = PickleBytes.proto2().global("torch", "FloatStorage").op(')').op('R').stop();
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, PickleBytes.zip(pickle, Map.of())));
        assertTrue(e.reason().contains("REDUCE on torch.FloatStorage, which is not callable here"), e.reason());
    }

    @ParameterizedTest
    @CsvSource({"0x69", "0x63", "0x00", "0xff", "0x8f"})
    void shouldRejectNamingTheOpcodeWhenItIsUnknownOrDisallowed(String opcodeHex) {
        int opcode = Integer.decode(opcodeHex);
        byte[] pickle = PickleBytes.proto2().op(opcode).op('.').stop();
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, PickleBytes.zip(pickle, Map.of())));
        if (opcode == 'c') { // GLOBAL with the operand ".\n." has no newline: truncated, not unknown
            assertTrue(e.reason().contains("GLOBAL operand"), e.reason());
        } else {
            assertTrue(e.reason().contains(String.format("unknown or disallowed pickle opcode 0x%02x", opcode)),
                    e.reason());
        }
    }

    @Test
    void shouldRejectWithoutAllocatingWhenStringLengthExceedsTheFile() {
        byte[] pickle = PickleBytes.proto2().op('X').op(0xff).op(0xff).op(0xff).op(0x7f).stop();
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtReader.read(FILE, PickleBytes.zip(pickle, Map.of())));
        assertTrue(e.reason().contains("length 2147483647 does not fit the 1 bytes left"), e.reason());
    }

    @Test
    void shouldRejectWhenZipEntryIsCorrupted() throws Exception {
        byte[] file = oneTensorFile(12, 0, new int[] {12}, new int[] {1}, iota12());
        int at = indexOf(file, iota12());
        file[at + 17] ^= 0x40;
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, file));
        assertTrue(e.reason().startsWith("zip entry archive/data/0 is corrupt: CRC-32"), e.reason());
    }

    @Test
    void shouldReadPlainDictOfTensorsAsStateDict() throws Exception {
        byte[] pickle = PickleBytes.proto2().op('}').str("a").tensor("FloatStorage", "0", 12, 0, new int[] {12},
                new int[] {1}).op('s').stop();
        Checkpoint c = PtReader.read(FILE, PickleBytes.zip(pickle, Map.of("0", iota12())));
        assertEquals(Checkpoint.Kind.STATE_DICT, c.kind());
        assertTrue(c.root() instanceof LinkedHashMap && !(c.root() instanceof PyOrderedDict));
        assertArrayEquals(iota12(), c.stateDict().get("a").data());
    }

    @Test
    void shouldNameTheMissingKeyWhenTrainingCheckpointIsIncomplete() throws Exception {
        LinkedHashMap<Object, Object> root = TrainingCheckpoints.sample().toPython();
        root.remove(TrainingCheckpoint.KEY_ACC_STEPS);
        byte[] bytes = PtWriter.toBytes("archive", root);
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(FILE, bytes));
        assertTrue(e.reason().startsWith("training checkpoint has no 'acc_steps' entry"), e.reason());
    }

    private static int[] ints(String text) {
        if (text == null || text.isBlank()) {
            return new int[0];
        }
        return Arrays.stream(text.trim().split(" +")).mapToInt(Integer::parseInt).toArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
