package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointInspectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldDescribePublishedModelAsNetwork3dOneAgentWhenInspectingSingleAgent() throws Exception {
        JsonNode layout = JSON.readTree(SharedFiles.parity("singleagent_pt_layout.json").toFile());

        CheckpointInspector.Inspection inspection = CheckpointInspector.inspect(SharedFiles.singleAgentModel());

        assertEquals(Checkpoint.Format.LEGACY, inspection.format());
        assertFalse(inspection.trainingCheckpoint());
        assertEquals("Network3d", inspection.model());
        assertEquals(1, inspection.agents());
        assertFalse(inspection.attention());
        assertEquals(layout.get("n_tensors").asInt(), inspection.tensors().size());
        for (int i = 0; i < inspection.tensors().size(); i++) {
            JsonNode expected = layout.get("tensors").get(i);
            CheckpointInspector.TensorSummary t = inspection.tensors().get(i);
            assertEquals(expected.get("key").asText(), t.name());
            assertArrayEquals(PtReaderTest.longs(expected.get("size")), t.shape());
            assertEquals(DType.FLOAT32, t.dtype());
            assertEquals(expected.get("sha256_f32le").asText(), t.sha256());
            assertEquals(expected.get("sum").asDouble(), t.sum(), 1e-9, t.name());
        }
    }

    @Test
    void shouldDescribeCommNetThreeAgentsWhenFc1InputIs1024() throws Exception {
        CheckpointInspector.Inspection inspection =
                CheckpointInspector.inspect(SharedFiles.parity("commnet_3agents_seed0_zip.pt"));

        assertEquals(Checkpoint.Format.ZIP, inspection.format());
        assertEquals("CommNet", inspection.model());
        assertEquals(3, inspection.agents());
        assertFalse(inspection.attention());
        assertEquals(1374684, inspection.parameterCount());
    }

    @Test
    void shouldReportAttentionAndTrainingWhenTrainingCheckpointHasCommAtt(@TempDir Path dir) throws Exception {
        LinkedHashMap<String, TensorData> q = new LinkedHashMap<>();
        q.put("fc1.0.weight", TrainingCheckpoints.floats(new long[] {2, 1024}, 0f));
        q.put("fc1.1.weight", TrainingCheckpoints.floats(new long[] {2, 1024}, 0f));
        q.put("comm_att1.0", TrainingCheckpoints.floats(new long[] {2}, 0f));
        q.put("comm_att1.1", TrainingCheckpoints.floats(new long[] {2}, 0f));
        TrainingCheckpoint sample = TrainingCheckpoints.sample();
        Path file = dir.resolve("att.pt");
        PtWriter.writeTrainingCheckpoint(file, new TrainingCheckpoint(q, q, sample.optimiserState(),
                sample.schedulerState(), 1, 1.0, 0));

        CheckpointInspector.Inspection inspection = CheckpointInspector.inspect(file);

        assertTrue(inspection.trainingCheckpoint());
        assertEquals("CommNet", inspection.model());
        assertEquals(2, inspection.agents());
        assertTrue(inspection.attention());
        assertEquals(List.of("fc1.0.weight", "fc1.1.weight", "comm_att1.0", "comm_att1.1"),
                inspection.tensors().stream().map(CheckpointInspector.TensorSummary::name).toList());
    }

    @Test
    void shouldWriteJsonAndTableWithEveryTensorWhenInspecting(@TempDir Path dir) throws Exception {
        LinkedHashMap<String, TensorData> sd = new LinkedHashMap<>();
        sd.put("conv0.bias", TrainingCheckpoints.floats(new long[] {2, 2}, 1.5f)); // 1.5 + 2.5 + 3.5 + 4.5 = 12
        sd.put("bad", floats(Float.NaN));
        Path file = dir.resolve("small.pt");
        PtWriter.writeStateDict(file, sd);

        CheckpointInspector.Inspection inspection = CheckpointInspector.inspect(file);
        JsonNode json = JSON.readTree(inspection.toJson());

        assertEquals("zip", json.get("format").asText());
        assertEquals("unknown", json.get("model").asText());
        assertEquals(0, json.get("agents").asInt());
        assertFalse(json.get("attention").asBoolean());
        assertFalse(json.get("training_checkpoint").asBoolean());
        JsonNode first = json.get("tensors").get(0);
        assertEquals("conv0.bias", first.get("name").asText());
        assertEquals("[2,2]", first.get("shape").toString());
        assertEquals("float32", first.get("dtype").asText());
        assertEquals(12.0, first.get("sum").asDouble());
        assertEquals(PtReaderTest.sha256(sd.get("conv0.bias").data()), first.get("sha256").asText());
        assertEquals("NaN", json.get("tensors").get(1).get("sum").asText());
        String table = inspection.toTable();
        assertTrue(table.contains("format:    zip\n"), table);
        assertTrue(table.contains("conv0.bias  [2,2]  float32                       12.0  "
                + first.get("sha256").asText()), table);
    }

    @Test
    void shouldRejectWhenFileHoldsNeitherStateDictNorTrainingCheckpoint(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("list.pt");
        PtWriter.write(file, new java.util.ArrayList<Object>(List.of(1L, 2L)));

        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointInspector.inspect(file));
        assertTrue(e.reason().contains("neither a state_dict"), e.reason());
    }

    @Test
    void shouldSumEveryDtypeAsFloat64WhenValuesAreKnown() {
        assertEquals(-1.0 + 2.5, CheckpointInspector.sum(tensor(DType.FLOAT64, 16, b -> b.putDouble(-1).putDouble(2.5))));
        // float16 0x3c00 = 1, 0xc000 = -2; bfloat16 0x3f80 = 1, 0x4040 = 3
        assertEquals(-1.0, CheckpointInspector.sum(tensor(DType.FLOAT16, 4,
                b -> b.putShort((short) 0x3c00).putShort((short) 0xc000))));
        assertEquals(4.0, CheckpointInspector.sum(tensor(DType.BFLOAT16, 4,
                b -> b.putShort((short) 0x3f80).putShort((short) 0x4040))));
        assertEquals(-5.0 + 3e12, CheckpointInspector.sum(tensor(DType.INT64, 16, b -> b.putLong(-5).putLong(3_000_000_000_000L))));
        assertEquals(-7.0, CheckpointInspector.sum(tensor(DType.INT32, 8, b -> b.putInt(-8).putInt(1))));
        assertEquals(-2.0, CheckpointInspector.sum(tensor(DType.INT16, 4, b -> b.putShort((short) -3).putShort((short) 1))));
        assertEquals(-128.0 + 1, CheckpointInspector.sum(tensor(DType.INT8, 2, b -> b.put((byte) -128).put((byte) 1))));
        assertEquals(255.0 + 1, CheckpointInspector.sum(tensor(DType.UINT8, 2, b -> b.put((byte) -1).put((byte) 1))));
        assertEquals(1.0, CheckpointInspector.sum(tensor(DType.BOOL, 2, b -> b.put((byte) 1).put((byte) 0))));
    }

    @Test
    void shouldConvertEveryHalfLikeTheDefinitionWhenDecodingFloat16() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = h >>> 15;
            int exponent = (h >>> 10) & 0x1f;
            int mantissa = h & 0x3ff;
            double expected;
            if (exponent == 0x1f) {
                expected = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exponent == 0) {
                expected = Math.scalb(mantissa / 1024.0, -14);
            } else {
                expected = Math.scalb(1 + mantissa / 1024.0, exponent - 15);
            }
            expected = sign == 1 ? -expected : expected;
            assertEquals(expected, CheckpointInspector.halfToFloat((short) h), 0.0, Integer.toHexString(h));
        }
    }

    private static TensorData floats(float v) {
        return new TensorData(DType.FLOAT32, new long[] {1},
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
    }

    private static TensorData tensor(DType dtype, int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return new TensorData(dtype, new long[] {bytes / dtype.bytes()}, b.array());
    }
}
