package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Damaged files: every failure must be a {@link CheckpointException} naming the file, never an OutOfMemoryError,
 * NPE, ClassCastException or index error. Seeds are fixed, so a failure reproduces.
 */
class PtReaderFuzzTest {
    private static final Path FILE = Path.of("damaged.pt");

    /** Reads and returns normally or with a CheckpointException; anything else fails the test. */
    private static boolean readsOrRejectsCleanly(byte[] bytes, String what) {
        return readOrNull(bytes, what) != null;
    }

    /** The checkpoint, or null when rejected with a CheckpointException; anything else fails the test. */
    private static Checkpoint readOrNull(byte[] bytes, String what) {
        try {
            return PtReader.read(FILE, bytes);
        } catch (CheckpointException e) {
            assertEquals(FILE, e.file(), what);
            assertTrue(e.getMessage().startsWith(FILE + ": "), what + ": " + e.getMessage());
            return null;
        } catch (Throwable t) {
            throw new AssertionError(what + " threw " + t, t);
        }
    }

    @Test
    void shouldRejectEveryTruncationWhenLegacyFileIsCut() throws Exception {
        byte[] whole = Files.readAllBytes(SharedFiles.parity("network3d_1agent_seed0_legacy.pt"));
        int headerBytes = 3200; // the five pickles; then the raw storages
        Random random = new Random(1);
        int cuts = 0;
        for (int length = 0; length < whole.length; length += length < headerBytes ? 1 : 1 + random.nextInt(40_000)) {
            if (readsOrRejectsCleanly(Arrays.copyOf(whole, length), "legacy cut at " + length)) {
                fail("legacy file cut at " + length + " of " + whole.length + " was accepted");
            }
            cuts++;
        }
        assertTrue(cuts > headerBytes, "cuts tried: " + cuts);
    }

    @Test
    void shouldRejectEveryTruncationWhenZipFileIsCut() throws Exception {
        byte[] whole = Files.readAllBytes(SharedFiles.parity("network3d_1agent_seed0_zip.pt"));
        Random random = new Random(2);
        // the central directory and end records are at the end: cut finely there, coarsely elsewhere
        int tail = whole.length - 4096;
        for (int length = 0; length < whole.length; length += length < tail ? 1 + random.nextInt(20_000) : 1) {
            if (readsOrRejectsCleanly(Arrays.copyOf(whole, length), "zip cut at " + length)) {
                fail("zip file cut at " + length + " of " + whole.length + " was accepted");
            }
        }
    }

    @Test
    void shouldFailCleanlyWhenLegacyHeaderBytesAreFlipped() throws Exception {
        byte[] whole = Files.readAllBytes(SharedFiles.parity("network3d_1agent_seed0_legacy.pt"));
        int legacyAccepted = 0;
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            int at = random.nextInt(3200);
            int second = Math.min(3199, at + 1 + random.nextInt(16));
            byte mask = (byte) (1 + random.nextInt(255));
            byte secondMask = random.nextBoolean() ? (byte) (1 + random.nextInt(255)) : 0; // sometimes a second flip
            whole[at] ^= mask;
            whole[second] ^= secondMask;
            if (readOrNull(whole, "legacy flip at " + at + " and " + second) != null) {
                legacyAccepted++;
            }
            whole[at] ^= mask; // restore, instead of copying 2 MB per case
            whole[second] ^= secondMask;
        }
        // The legacy format has no checksum: a flip in a tensor's storage key, offset or a str can read as another
        // valid file (about 120 of these 500 do, PyTorch's torch.load cannot tell either). What is asserted is that
        // nothing but a CheckpointException comes out, and that most flips are refused.
        assertTrue(legacyAccepted < 200, "accepted " + legacyAccepted + " of 500 damaged legacy files");
    }

    @Test
    void shouldFailCleanlyWhenZipStructureBytesAreFlipped() throws Exception {
        byte[] whole = Files.readAllBytes(SharedFiles.parity("network3d_1agent_seed0_zip.pt"));
        Object original = PtReader.read(FILE, whole).root();
        Random random = new Random(4);
        int accepted = 0;
        for (int i = 0; i < 500; i++) {
            // local headers of the first entries, and the whole central directory + end records
            int at = i % 2 == 0 ? random.nextInt(4200) : whole.length - 1 - random.nextInt(3100);
            byte mask = (byte) (1 + random.nextInt(255));
            whole[at] ^= mask;
            Checkpoint read = readOrNull(whole, "zip flip at " + at);
            if (read != null) {
                // a flip the reader lets through must be one that changes nothing it reads (padding, unused header
                // fields, the duplicated end records): every byte of data.pkl and of the storages is under a CRC
                assertEquals(original, read.root(), "zip flip at " + at + " ^ " + mask + " was accepted and read "
                        + "differently");
                accepted++;
            }
            whole[at] ^= mask;
        }
        assertTrue(accepted < 250, "accepted " + accepted);
    }

    @Test
    void shouldFailCleanlyWhenEveryPickleByteOfATrainingCheckpointIsDamaged() throws Exception {
        // Rich pickle (dicts, lists, tuples, floats, ints, OrderedDicts, tensors): damage each byte in turn and
        // rebuild the archive so that the CRC does not hide the damage from the unpickler.
        TrainingCheckpoint sample = TrainingCheckpoints.sample();
        PickleWriter pickler = new PickleWriter();
        byte[] pickle = pickler.dump(sample.toPython());
        java.util.Map<String, byte[]> storages = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pickler.storages().size(); i++) {
            storages.put(Integer.toString(i), pickler.storages().get(i).data());
        }
        Random random = new Random(5);
        int rejected = 0;
        for (int at = 0; at < pickle.length; at++) {
            for (int mask : new int[] {0xff, 1 + random.nextInt(255)}) {
                byte[] damaged = pickle.clone();
                damaged[at] ^= (byte) mask;
                if (!readsOrRejectsCleanly(PickleBytes.zip(damaged, storages), "pickle byte " + at + " ^ " + mask)) {
                    rejected++;
                }
            }
            byte[] cut = Arrays.copyOf(pickle, at);
            if (readsOrRejectsCleanly(PickleBytes.zip(cut, storages), "pickle cut at " + at)) {
                fail("pickle cut at " + at + " of " + pickle.length + " was accepted");
            }
        }
        assertTrue(rejected > pickle.length, "rejected " + rejected + " of " + 2 * pickle.length);
    }
}
