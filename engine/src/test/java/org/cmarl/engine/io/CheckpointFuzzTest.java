package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of the checkpoint reader. In a normal {@code mvn verify} each target runs once
 * per committed input under {@code src/test/resources/org/cmarl/engine/io/CheckpointFuzzTestInputs/<target>/}
 * (files written by torch.save and by the engine, and what fuzzing found); with {@code JAZZER_FUZZ=1} it fuzzes
 * (README, "Hostile input").
 *
 * <p>The contract: a checkpoint, or a {@link CheckpointException} whose message is one short printable line naming
 * the file; any other exception, an OutOfMemoryError or a hang is a finding.
 */
class CheckpointFuzzTest {
    /**
     * How long one target fuzzes under {@code JAZZER_FUZZ=1} (regression runs ignore it). Jazzer 0.24 takes the
     * duration only from the annotation; the corpus it builds is kept, so running again continues the campaign.
     */
    static final String FUZZ_DURATION = "3m";

    private static final Path FILE = Path.of("fuzzed.pt");

    /** Storages a fuzzed pickle can name: "0" holds 16 float32, "1" 4 int64. */
    private static final Map<String, byte[]> STORAGES = storages();

    private static Map<String, byte[]> storages() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        ByteBuffer floats = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 16; i++) {
            floats.putFloat(i * 0.5f - 3);
        }
        s.put("0", floats.array());
        ByteBuffer longs = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) {
            longs.putLong(i - 1);
        }
        s.put("1", longs.array());
        return s;
    }

    static void assertCleanRejection(CheckpointException e) {
        String m = e.getMessage();
        assertEquals(FILE, e.file());
        assertTrue(m.startsWith(FILE + ": "), m);
        assertTrue(m.length() <= FILE.toString().length() + 2 + CheckpointException.MAX_REASON_CHARS + 40,
                "message of " + m.length() + " characters");
        assertTrue(m.chars().noneMatch(Character::isISOControl), m);
    }

    /** Reads and, when that succeeds, inspects; only CheckpointException may come out. */
    private static void readAndInspect(byte[] file) {
        try {
            Checkpoint c = PtReader.read(FILE, file);
            if (c.kind() != Checkpoint.Kind.OTHER) {
                CheckpointInspector.inspect(c).toJson();
            }
            if (c.isTrainingCheckpoint()) {
                AdamState.fromPython(c.training().optimiserState(), FILE);
                StepLrState.fromPython(c.training().schedulerState(), FILE);
            }
        } catch (CheckpointException e) {
            assertCleanRejection(e);
        }
    }

    /** Whole files: the zip container, the legacy container, and everything inside. */
    @FuzzTest(maxDuration = FUZZ_DURATION)
    void fuzzCheckpointFile(byte[] file) {
        readAndInspect(file);
    }

    /** The unpickler, inside a well-formed zip whose storages exist (so the CRC does not stop the fuzzer early). */
    @FuzzTest(maxDuration = FUZZ_DURATION)
    void fuzzPickle(byte[] pickle) {
        readAndInspect(PickleBytes.zip(pickle, STORAGES));
    }
}
