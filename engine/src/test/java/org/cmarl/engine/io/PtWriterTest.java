package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PtWriterTest {

    @ParameterizedTest
    @ValueSource(strings = {"network3d_1agent_seed0_zip.pt", "commnet_3agents_seed0_zip.pt"})
    void shouldWriteSamePickleAndStoragesAsTorchSaveWhenRewritingItsStateDict(String name, @TempDir Path dir)
            throws Exception {
        Path reference = SharedFiles.parity(name);
        Checkpoint read = PtReader.read(reference);
        Path copy = dir.resolve(name);

        PtWriter.write(copy, read.root());

        String archive = name.substring(0, name.length() - 3);
        try (ZipFile ours = new ZipFile(copy.toFile()); ZipFile theirs = new ZipFile(reference.toFile())) {
            List<String> expectedNames = new ArrayList<>(names(theirs));
            expectedNames.add(1, archive + "/byteorder"); // PyTorch >= 2.1 writes it; 1.13 (the reference) did not
            assertEquals(expectedNames, names(ours));
            for (String entry : names(theirs)) {
                assertArrayEquals(bytes(theirs, entry), bytes(ours, entry), entry);
            }
            assertArrayEquals("little".getBytes(), bytes(ours, archive + "/byteorder"));
            assertArrayEquals("3\n".getBytes(), bytes(ours, archive + "/version"));
        }
    }

    @Test
    void shouldAlignEveryEntryTo64BytesWithFbPaddingWhenWritingLikePyTorch(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("single.pt");
        PtWriter.writeStateDict(file, PtReader.read(SharedFiles.singleAgentModel()).stateDict());

        byte[] bytes = Files.readAllBytes(file);
        int entries = 0;
        int p = 0;
        // Walk the local headers: 30-byte header, name, "FB" extra with 'Z' padding, data, 16-byte descriptor.
        while (le32(bytes, p) == 0x04034b50) {
            assertEquals(0x0808, le16(bytes, p + 6), "flags: data descriptor + UTF-8");
            assertEquals(0, le16(bytes, p + 8), "method: stored");
            int nameLength = le16(bytes, p + 26);
            int extraLength = le16(bytes, p + 28);
            int extra = p + 30 + nameLength;
            assertEquals('F', bytes[extra]);
            assertEquals('B', bytes[extra + 1]);
            assertEquals(extraLength - 4, le16(bytes, extra + 2));
            for (int i = extra + 4; i < extra + extraLength; i++) {
                assertEquals('Z', bytes[i]);
            }
            int data = extra + extraLength;
            assertEquals(0, data % 64, "data of entry " + entries + " at " + data);
            int descriptor = indexOfDescriptor(bytes, data);
            p = descriptor + 16;
            entries++;
        }
        assertEquals(0x02014b50, le32(bytes, p), "central directory follows the entries");
        assertEquals(20 + 3, entries); // 20 tensors + data.pkl, byteorder, version
    }

    @Test
    void shouldReadBackBitIdenticalTensorsWhenStateDictRoundTrips(@TempDir Path dir) throws Exception {
        LinkedHashMap<String, TensorData> original = PtReader.read(SharedFiles.singleAgentModel()).stateDict();
        Path file = dir.resolve("roundtrip.pt");

        PtWriter.writeStateDict(file, original);
        Checkpoint back = PtReader.read(file);

        assertEquals(Checkpoint.Format.ZIP, back.format());
        assertTrue(back.root() instanceof PyOrderedDict);
        assertEquals(new ArrayList<>(original.keySet()), new ArrayList<>(back.stateDict().keySet()));
        assertEquals(original, back.stateDict());
    }

    @Test
    void shouldRoundTripEveryDtypeAndScalarWhenWritingMixedTensors(@TempDir Path dir) throws Exception {
        Random random = new Random(7);
        LinkedHashMap<String, TensorData> sd = new LinkedHashMap<>();
        for (DType dtype : DType.values()) {
            long[] shape = {2, 3};
            byte[] data = new byte[6 * dtype.bytes()];
            random.nextBytes(data);
            if (dtype == DType.BOOL) {
                for (int i = 0; i < data.length; i++) {
                    data[i] &= 1;
                }
            }
            sd.put("t_" + dtype.displayName(), new TensorData(dtype, shape, data));
        }
        sd.put("scalar", AdamState.scalarFloat32(3.5f));
        sd.put("empty", new TensorData(DType.FLOAT32, new long[] {0, 4}, new byte[0]));
        Path file = dir.resolve("mixed.pt");

        PtWriter.writeStateDict(file, sd);

        assertEquals(sd, PtReader.read(file).stateDict());
    }

    @Test
    void shouldRoundTripTrainingCheckpointWhenWrittenWithAdamAndStepLr(@TempDir Path dir) throws Exception {
        TrainingCheckpoint original = TrainingCheckpoints.sample();
        Path file = dir.resolve("checkpoint.pt");

        PtWriter.writeTrainingCheckpoint(file, original);
        Checkpoint back = PtReader.read(file);

        assertEquals(Checkpoint.Kind.TRAINING_CHECKPOINT, back.kind());
        TrainingCheckpoint t = back.training();
        assertEquals(original.qNetwork(), t.qNetwork());
        assertEquals(original.targetNetwork(), t.targetNetwork());
        assertEquals(original.optimiserState(), t.optimiserState());
        assertEquals(original.schedulerState(), t.schedulerState());
        assertEquals(original.episode(), t.episode());
        assertEquals(original.eps(), t.eps());
        assertEquals(original.accSteps(), t.accSteps());
        assertEquals(original.qNetwork(), back.stateDict());
        AdamState adam = AdamState.fromPython(t.optimiserState(), file);
        AdamState expectedAdam = AdamState.fromPython(original.optimiserState(), file);
        assertEquals(expectedAdam, adam);
        assertEquals(new PyTuple(List.of(0.9, 0.999)), adam.hyperparameters().get("betas"));
        assertEquals(new StepLrState(100, 0.5, 1e-3, 3, 1e-3), StepLrState.fromPython(t.schedulerState(), file));
    }

    @Test
    void shouldReplaceExistingFileAndLeaveNoTemporaryWhenWritingAtomically(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("latest.pt");
        Files.writeString(file, "old content");
        LinkedHashMap<String, TensorData> sd = new LinkedHashMap<>();
        sd.put("w", AdamState.scalarFloat32(1f));

        PtWriter.writeStateDict(file, sd);

        assertEquals(sd, PtReader.read(file).stateDict());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void shouldRefuseUnpicklableValueBeforeTouchingTheFileWhenWriting(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.pt");
        Map<Object, Object> root = new LinkedHashMap<>();
        root.put("blob", new byte[] {1, 2});

        assertThrows(IllegalArgumentException.class, () -> PtWriter.write(file, root));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void shouldRejectWhenDirectoryDoesNotExist(@TempDir Path dir) {
        Path file = dir.resolve("missing/dir/x.pt");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PtWriter.writeStateDict(file, Collections.emptyMap()));
        assertEquals(file, e.file());
        assertTrue(e.reason().startsWith("cannot write"), e.reason());
    }

    @Test
    void shouldNameArchiveAfterFileStemWhenWriting() {
        assertEquals("latest_dqn", PtWriter.archiveName(Path.of("/runs/x/latest_dqn.pt")));
        assertEquals("model", PtWriter.archiveName(Path.of("model")));
        assertEquals(".pt", PtWriter.archiveName(Path.of(".pt")));
    }

    private static List<String> names(ZipFile zip) {
        List<String> names = new ArrayList<>();
        zip.stream().forEach(e -> names.add(e.getName()));
        return names;
    }

    private static byte[] bytes(ZipFile zip, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes(); // java.util.zip checks the CRC-32 while reading
        }
    }

    private static int indexOfDescriptor(byte[] b, int from) {
        for (int i = from; i + 4 <= b.length; i++) {
            if (le32(b, i) == 0x08074b50) {
                return i;
            }
        }
        throw new AssertionError("no data descriptor after " + from);
    }

    static int le16(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }

    static int le32(byte[] b, int p) {
        return le16(b, p) | le16(b, p + 2) << 16;
    }
}
