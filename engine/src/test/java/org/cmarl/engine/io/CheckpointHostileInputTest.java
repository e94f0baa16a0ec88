package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crafted checkpoints: each reproduces one way a tiny file made the reader hang, exhaust the heap, throw
 * an internal error or print raw bytes. Each must end in a one-line {@link CheckpointException} naming the file,
 * quickly (every test has a timeout) and without allocating what the file asks for.
 */
class CheckpointHostileInputTest {
    private static final Path FILE = Path.of("crafted.pt");
    private static final Duration QUICKLY = Duration.ofSeconds(10);

    private static CheckpointException rejected(byte[] bytes) {
        return assertTimeoutPreemptively(QUICKLY,
                () -> assertThrows(CheckpointException.class, () -> PtReader.read(FILE, bytes)));
    }

    /** One line, short, no raw control characters, and starts with the file. */
    private static void assertOneCleanLine(CheckpointException e) {
        String m = e.getMessage();
        assertTrue(m.startsWith(FILE + ": "), m);
        assertTrue(m.length() < 1000, "message of " + m.length() + " characters");
        assertTrue(m.chars().noneMatch(Character::isISOControl), m);
    }

    private static PickleBytes memoPut(PickleBytes p, int index) {
        return p.op('q').op(index);
    }

    private static PickleBytes memoGet(PickleBytes p, int index) {
        return p.op('h').op(index);
    }

    @Test
    void shouldRejectQuicklyWhenDictKeyIsATupleDagBuiltThroughTheMemo() {
        // t0 = (1,); t[i] = (t[i-1], t[i-1]): 170 bytes of pickle, a key whose hash visits 2^60 tuples
        PickleBytes p = PickleBytes.proto2().op('}');
        memoPut(p.op('K').op(1).op(0x85), 0).op('0');
        for (int i = 1; i <= 60; i++) {
            memoPut(memoGet(memoGet(p, i - 1), i - 1).op(0x86), i).op('0');
        }
        memoGet(p, 60).op('N').op('s');
        byte[] zip = PickleBytes.zip(p.stop(), Map.of());
        CheckpointException e = rejected(zip);
        assertTrue(e.getMessage().contains("dict key is a tuple of more than 64 elements"), e.getMessage());
        assertOneCleanLine(e);
    }

    @Test
    void shouldRejectQuicklyWhenDictKeyHoldsASelfReferencingListDeepInTuples() {
        // l = []; l.append(l); key = ((l,),): the list is unhashable, and hashing it would never end
        PickleBytes p = PickleBytes.proto2().op('}');
        memoPut(p.op(']'), 0);
        memoGet(p, 0).op('a');
        p.op(0x85).op(0x85).op('N').op('s');
        CheckpointException e = rejected(PickleBytes.zip(p.stop(), Map.of()));
        assertTrue(e.getMessage().contains("not hashable"), e.getMessage());
        assertOneCleanLine(e);
    }

    @Test
    void shouldRejectQuicklyWhenADictHasMoreTupleKeysThanAnyCheckpoint() {
        // (i, 31 (100000 - i)) all have one hash code: 100 000 of them would cost 5e9 tuple comparisons
        PickleBytes p = PickleBytes.proto2().op('}').mark();
        for (int i = 0; i < 100_000; i++) {
            p.integer(i).integer(31 * (100_000 - i)).op(0x86).op('N');
        }
        p.op('u');
        CheckpointException e = rejected(PickleBytes.zip(p.stop(), Map.of()));
        assertTrue(e.getMessage().contains("more than 1024 dict keys are tuples"), e.getMessage());
    }

    @Test
    void shouldRejectWithAShortMessageWhenLegacyMagicIsAnExponentiallyLongStructure() {
        // l[i] = [l[i-1], l[i-1]], 30 levels: its text would be 2^30 list brackets
        PickleBytes p = PickleBytes.proto2();
        memoPut(p.op(']'), 0);
        for (int i = 1; i <= 30; i++) {
            memoPut(memoGet(memoGet(p.op(']').op('('), i - 1), i - 1).op('e'), i).op('0');
        }
        p.op('0');
        memoGet(p, 30);
        byte[] file = p.stop();
        assertTrue(file.length < 400, "file of " + file.length + " bytes");
        CheckpointException e = rejected(file);
        assertTrue(e.getMessage().contains("legacy magic number is [[[["), e.getMessage());
        assertOneCleanLine(e);
    }

    @Test
    void shouldRejectBeforeExhaustingTheHeapWhenManyExpandedViewsShareOneStorage() {
        // 200 views, each 64 MiB of one float expanded by a zero stride: each passes the per-view cap, together
        // 12.8 GB, twice the test JVM's heap (so without the total cap this test dies with OutOfMemoryError)
        PickleBytes p = PickleBytes.proto2().op(']').mark();
        for (int i = 0; i < 200; i++) {
            p.tensor("FloatStorage", "0", 1, 0, new int[] {16 << 20}, new int[] {0});
        }
        p.op('e');
        byte[] zip = PickleBytes.zip(p.stop(), Map.of("0", new byte[4]));
        assertTrue(zip.length < 40_000, "file of " + zip.length + " bytes");
        CheckpointException e = rejected(zip);
        assertTrue(e.getMessage().contains("would bring the tensors of this file to more than "
                + (zip.length + (64L << 20)) + " bytes"), e.getMessage());
        assertOneCleanLine(e);
    }

    @Test
    void shouldRejectWhenPickleRunsMoreStepsThanAnyCheckpointNeeds() {
        // 1.2 M opcodes in 1.2 MB, each appending None to one list: the step cap bounds objects, stack and time
        PickleBytes p = PickleBytes.proto2().op(']');
        for (int i = 0; i < 600_000; i++) {
            p.op('N').op('a');
        }
        CheckpointException e = rejected(PickleBytes.zip(p.stop(), Map.of()));
        assertTrue(e.getMessage().contains("pickle needs more than 1048576 steps"), e.getMessage());
    }

    @Test
    void shouldRefuseAHugeIntBeforeConvertingIt() {
        byte[] pickle = new byte[2 + 1 + 4 + 100_000 + 1];
        pickle[0] = (byte) 0x80;
        pickle[1] = 2;
        pickle[2] = (byte) 0x8b; // LONG4
        pickle[3] = (byte) 0xa0;
        pickle[4] = (byte) 0x86;
        pickle[5] = 1; // 100000
        pickle[pickle.length - 1] = '.';
        CheckpointException e = rejected(pickle);
        assertTrue(e.getMessage().contains("int of 100000 bytes"), e.getMessage());
    }

    @Test
    void shouldEscapeControlCharactersAndNulsWhenMessageQuotesCheckpointBytes() {
        byte[] pickle = PickleBytes.proto2().global("os\u0000\u001b[2J\r", "system\u0007").stop();
        CheckpointException e = rejected(PickleBytes.zip(pickle, Map.of()));
        assertTrue(e.getMessage().contains("refuses global os\\0\\u001b[2J\\r.system\\u0007"), e.getMessage());
        assertOneCleanLine(e);
    }

    @Test
    void shouldCutTheMessageWhenItWouldQuoteMegabytesOfTheFile() {
        // an archive without data.pkl whose one entry has a 60 000-character name (the reader lists the names)
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ZipArchiveWriter zip = new ZipArchiveWriter(bytes);
        assertTimeoutPreemptively(QUICKLY, () -> {
            zip.add("archive/" + "x\n".repeat(30_000), new byte[1]);
            zip.finish();
        });
        CheckpointException e = rejected(bytes.toByteArray());
        assertTrue(e.getMessage().contains("entries are ['archive/x\\nx\\nx"), e.getMessage());
        assertTrue(e.getMessage().length() < 300, e.getMessage());
        assertOneCleanLine(e);
    }

    @Test
    void shouldNameTheParameterInsteadOfLeakingNumberFormatExceptionWhenAgentIndexIsHuge() throws Exception {
        LinkedHashMap<String, TensorData> sd = new LinkedHashMap<>();
        sd.put("fc1.99999999999.weight", TrainingCheckpoints.floats(new long[] {1}, 0f));
        Checkpoint checkpoint = new Checkpoint(FILE, Checkpoint.Format.ZIP, sd);
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointInspector.inspect(checkpoint));
        assertEquals(FILE + ": parameter 'fc1.99999999999.weight' names agent 99999999999; agent indices have at "
                + "most 6 digits", e.getMessage());
    }

    // ---- zip64 ----

    /**
     * One stored entry {@code archive/data.pkl} whose central header saturates both sizes at 0xffffffff and gives
     * {@code size} in the zip64 extra field.
     */
    private static byte[] zip64WithSize(long size) {
        byte[] name = "archive/data.pkl".getBytes(StandardCharsets.US_ASCII);
        byte[] data = PickleBytes.proto2().op('N').stop();
        Le out = new Le();
        out.i32(0x04034b50).i16(20).i16(0).i16(0).i16(0).i16(0).i32(0).i32(0).i32(0).i16(name.length).i16(0);
        out.bytes(name).bytes(data);
        int cd = out.size();
        out.i32(0x02014b50).i16(45).i16(45).i16(0).i16(0).i16(0).i16(0).i32(0)
                .i32(0xffffffff).i32(0xffffffff).i16(name.length).i16(20).i16(0).i16(0).i16(0).i32(0).i32(0);
        out.bytes(name).i16(0x0001).i16(16).i64(size).i64(size);
        int cdBytes = out.size() - cd;
        out.i32(0x06054b50).i16(0).i16(0).i16(1).i16(1).i32(cdBytes).i32(cd).i16(0);
        return out.toByteArray();
    }

    @Test
    void shouldRejectWithoutIndexErrorWhenZip64SizeOverflows() {
        for (long size : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 10, 1L << 62, -1L, 0xffffffffL}) {
            CheckpointException e = rejected(zip64WithSize(size));
            assertTrue(e.getMessage().contains("runs past the end of the file"), size + ": " + e.getMessage());
        }
    }

    // ---- files that are not regular files ----

    @Test
    void shouldRefuseDevZeroInsteadOfReadingForEver() {
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(zero), "no /dev/zero here");
        CheckpointException e = assertTimeoutPreemptively(QUICKLY,
                () -> assertThrows(CheckpointException.class, () -> PtReader.read(zero)));
        assertEquals("/dev/zero: is not a regular file (a FIFO, socket or device); checkpoints are read from "
                + "regular files only", e.getMessage());
    }

    @Test
    void shouldRefuseAFifoInsteadOfBlockingForEver(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("weights.pt");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        CheckpointException e = assertTimeoutPreemptively(QUICKLY,
                () -> assertThrows(CheckpointException.class, () -> PtReader.read(fifo)));
        assertTrue(e.getMessage().endsWith("is not a regular file (a FIFO, socket or device); checkpoints are read "
                + "from regular files only"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> CheckpointInspector.inspect(fifo));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void shouldSayDirectoryWhenCheckpointIsADirectory(@TempDir Path dir) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(dir));
        assertEquals(dir + ": is a directory, not a checkpoint file", e.getMessage());
    }

    // ---- training checkpoint counters ----

    static Stream<Arguments> badCounters() {
        return Stream.of(
                Arguments.of("episode", -1L, "'episode' is -1, expected 0 to 2147483647"),
                Arguments.of("episode", 99_999_999_999L, "'episode' is 99999999999, expected 0 to 2147483647"),
                Arguments.of("episode", new BigInteger("99999999999999999999"),
                        "'episode' must be an int, found an int of more than 64 bits"),
                Arguments.of("episode", 3.0, "'episode' must be an int, found float"),
                Arguments.of("eps", Double.NaN, "'eps' is NaN, expected a finite value in [0.0, 1.0]"),
                Arguments.of("eps", Double.POSITIVE_INFINITY, "'eps' is Infinity, expected a finite value in [0.0, 1.0]"),
                Arguments.of("eps", 9.0, "'eps' is 9.0, expected a finite value in [0.0, 1.0]"),
                Arguments.of("eps", -0.5, "'eps' is -0.5, expected a finite value in [0.0, 1.0]"),
                Arguments.of("eps", "0.5", "'eps' must be a float, found str"),
                Arguments.of("acc_steps", -7L, "'acc_steps' is -7, expected 0 to 9223372036854775807"));
    }

    @ParameterizedTest
    @MethodSource("badCounters")
    void shouldNameTheFieldWhenATrainingCounterIsInvalid(String key, Object value, String expected) {
        LinkedHashMap<Object, Object> root = TrainingCheckpoints.sample().toPython();
        root.put(key, value);
        CheckpointException e = rejected(zipOf(root));
        assertEquals(FILE + ": " + expected, e.getMessage());
    }

    static Stream<Arguments> badEngineState() {
        return Stream.of(
                Arguments.of("epoch", -2L, "'rlm_state' entry 'epoch' is -2, expected 0 to 2147483647"),
                Arguments.of("epoch", 1L << 40, "'rlm_state' entry 'epoch' is 1099511627776, expected 0 to 2147483647"),
                Arguments.of("best_validation_mm", Double.NaN,
                        "'rlm_state' entry 'best_validation_mm' is NaN, expected a finite value in [0.0, "
                                + Double.MAX_VALUE + "]"),
                Arguments.of("learning_rate", Double.NEGATIVE_INFINITY,
                        "'rlm_state' entry 'learning_rate' is -Infinity, expected a finite value in [4.9E-324, "
                                + Double.MAX_VALUE + "]"),
                Arguments.of("learning_rate", null, "'rlm_state' entry 'learning_rate' must be a float, found None"),
                Arguments.of("seed", "x", "'rlm_state' entry 'seed' must be an int, found str"));
    }

    @ParameterizedTest
    @MethodSource("badEngineState")
    void shouldNameTheFieldWhenTheEngineStateIsInvalid(String key, Object value, String expected) {
        LinkedHashMap<Object, Object> root = TrainingCheckpoints.sample().toPython();
        LinkedHashMap<Object, Object> engine = new LinkedHashMap<>();
        engine.put("epoch", 3L);
        engine.put("best_validation_mm", Double.POSITIVE_INFINITY);
        engine.put("seed", 7L);
        engine.put("learning_rate", 1e-3);
        engine.put(key, value);
        root.put("rlm_state", engine);
        CheckpointException e = rejected(zipOf(root));
        assertEquals(FILE + ": " + expected, e.getMessage());
    }

    @Test
    void shouldAcceptTheEngineStateItWrites() throws Exception {
        LinkedHashMap<Object, Object> root = TrainingCheckpoints.sample().toPython();
        LinkedHashMap<Object, Object> engine = new LinkedHashMap<>();
        engine.put("epoch", 3L);
        engine.put("best_validation_mm", Double.POSITIVE_INFINITY);
        engine.put("seed", 7L);
        engine.put("learning_rate", 1e-3);
        root.put("rlm_state", engine);
        assertEquals(12, PtReader.read(FILE, zipOf(root)).training().episode());
    }

    static Stream<Arguments> badOptimiserOrScheduler() {
        return Stream.of(
                Arguments.<Consumer<Map<Object, Object>>>of(
                        (Consumer<Map<Object, Object>>) s -> s.put("gamma", Double.NaN),
                        "scheduler 'gamma' is NaN"),
                Arguments.of((Consumer<Map<Object, Object>>) s -> s.put("step_size", 0L),
                        "scheduler 'step_size' is 0, expected 1 to 2147483647"),
                Arguments.of((Consumer<Map<Object, Object>>) s -> s.put("last_epoch", -1L),
                        "scheduler 'last_epoch' is -1, expected 0 to 2147483647"),
                Arguments.of((Consumer<Map<Object, Object>>) s -> s.put("_last_lr",
                                new ArrayList<Object>(List.of(Double.POSITIVE_INFINITY))),
                        "scheduler '_last_lr'[0] is Infinity"));
    }

    @ParameterizedTest
    @MethodSource("badOptimiserOrScheduler")
    void shouldNameTheFieldWhenTheSchedulerStateIsInvalid(Consumer<Map<Object, Object>> damage, String expected) {
        Map<Object, Object> scheduler = new LinkedHashMap<>(TrainingCheckpoints.sample().schedulerState());
        damage.accept(scheduler);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> StepLrState.fromPython(scheduler, FILE));
        assertTrue(e.getMessage().startsWith(FILE + ": " + expected), e.getMessage());
    }

    @Test
    void shouldNameTheFieldWhenTheOptimiserStateIsInvalid() {
        for (String key : new String[] {"lr", "eps", "initial_lr"}) {
            Map<Object, Object> optimiser = castMap(TrainingCheckpoints.sample().optimiserState());
            Map<Object, Object> group = castMap(((List<?>) optimiser.get("param_groups")).get(0));
            group.put(key, Double.NaN);
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> AdamState.fromPython(optimiser, FILE));
            assertEquals(FILE + ": optimiser '" + key + "' is NaN, expected a finite value in [0.0, "
                    + Double.MAX_VALUE + "]", e.getMessage());
        }
        Map<Object, Object> optimiser = castMap(TrainingCheckpoints.sample().optimiserState());
        Map<Object, Object> state = castMap(castMap(optimiser.get("state")).get(0L));
        state.put("step", AdamState.scalarFloat32(Float.NaN));
        CheckpointException e = assertThrows(CheckpointException.class, () -> AdamState.fromPython(optimiser, FILE));
        assertEquals(FILE + ": optimiser 'step' of parameter 0 is NaN, expected a whole number of updates from 0 to "
                + "16777216", e.getMessage());
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> castMap(Object o) {
        return (Map<Object, Object>) o;
    }

    private static byte[] zipOf(Object root) {
        PickleWriter pickler = new PickleWriter();
        byte[] pickle = pickler.dump(root);
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (int i = 0; i < pickler.storages().size(); i++) {
            storages.put(Integer.toString(i), pickler.storages().get(i).data());
        }
        return PickleBytes.zip(pickle, storages);
    }

    /** Little-endian byte assembly for hand-made zip structures. */
    private static final class Le {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Le i16(int v) {
            out.write(v);
            out.write(v >>> 8);
            return this;
        }

        Le i32(int v) {
            return i16(v).i16(v >>> 16);
        }

        Le i64(long v) {
            return i32((int) v).i32((int) (v >>> 32));
        }

        Le bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        int size() { return out.size(); }

        byte[] toByteArray() { return out.toByteArray(); }
    }

    @Test
    void shouldKeepTheSanitiserFromCuttingOrEscapingAnOrdinaryReason() {
        assertEquals("storage 'x' is fine", CheckpointException.printable("storage 'x' is fine", 400));
        assertFalse(CheckpointException.printable("a\u202eb", 400).contains("\u202e"));
        String cut = new CheckpointException(FILE, "y".repeat(10_000_000)).getMessage();
        assertEquals(FILE + ": " + "y".repeat(400) + "... (9999600 more characters)", cut);
    }
}
