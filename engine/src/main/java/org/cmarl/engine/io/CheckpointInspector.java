package org.cmarl.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code ./rlm checkpoint FILE [--json]} prints: the container format, the network the weights imply, and
 * every tensor's name, shape, dtype, sum and SHA-256.
 *
 * <p>Architecture rules (SPEC.md section 4): one agent per {@code fc1.<i>.weight}; fc1's input width is 512 for
 * Network3d and 1024 for CommNet (the agent's vector concatenated with the communication vector); attention when
 * {@code comm_att1.*} parameters exist. For a training checkpoint the online network ({@code q_network_state_dict})
 * is inspected.
 *
 * <p>{@code sum} is the float64 sum of the values in row-major order; {@code sha256} is the digest of the values as
 * little-endian bytes in row-major order (for float32, the same as numpy's {@code t.numpy().tobytes()}).
 */
public final class CheckpointInspector {
    private static final Pattern FC1_WEIGHT = Pattern.compile("fc1\\.(\\d+)\\.weight");
    /** Width of the shared trunk's output (64 channels x 2 x 2 x 2), the input of Network3d's fc1. */
    private static final long TRUNK_FEATURES = 512;

    private CheckpointInspector() {
    }

    /**
     * One tensor of the inspected state_dict.
     *
     * @param sum    float64 sum of the values (NaN/infinite if the values are)
     * @param sha256 lower-case hex digest of the little-endian row-major bytes
     */
    public record TensorSummary(String name, long[] shape, DType dtype, double sum, String sha256) {
        @Override
        public long[] shape() { return shape.clone(); }
    }

    /**
     * @param model     "Network3d", "CommNet" or "unknown"
     * @param agents    number of {@code fc1.<i>} heads (0 if none)
     * @param attention true if {@code comm_att1.*} parameters exist
     */
    public record Inspection(Path file, Checkpoint.Format format, boolean trainingCheckpoint, String model,
                             int agents, boolean attention, List<TensorSummary> tensors) {

        /** Total number of elements over all tensors. */
        public long parameterCount() {
            long n = 0;
            for (TensorSummary t : tensors) {
                n += TensorData.numel(t.shape());
            }
            return n;
        }

        /**
         * JSON object: {@code file, format, training_checkpoint, model, agents, attention, parameters, tensors:
         * [{name, shape, dtype, sum, sha256}]}. A non-finite sum is written as the string "NaN", "Infinity" or
         * "-Infinity" (JSON has no such numbers).
         */
        public String toJson() {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = mapper.createObjectNode();
            root.put("file", file.toString());
            root.put("format", format.displayName());
            root.put("training_checkpoint", trainingCheckpoint);
            root.put("model", model);
            root.put("agents", agents);
            root.put("attention", attention);
            root.put("parameters", parameterCount());
            ArrayNode list = root.putArray("tensors");
            for (TensorSummary t : tensors) {
                ObjectNode o = list.addObject();
                o.put("name", t.name());
                ArrayNode shape = o.putArray("shape");
                for (long s : t.shape()) {
                    shape.add(s);
                }
                o.put("dtype", t.dtype().displayName());
                if (Double.isFinite(t.sum())) {
                    o.put("sum", t.sum());
                } else {
                    o.put("sum", Double.toString(t.sum()));
                }
                o.put("sha256", t.sha256());
            }
            try {
                return mapper.writeValueAsString(root);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("JSON of a tree we built cannot fail", e);
            }
        }

        /** Human-readable summary and one line per tensor. */
        public String toTable() {
            StringBuilder sb = new StringBuilder();
            sb.append("file:      ").append(file).append('\n');
            sb.append("format:    ").append(format.displayName()).append('\n');
            sb.append("contents:  ").append(trainingCheckpoint
                    ? "training checkpoint (showing " + TrainingCheckpoint.KEY_Q_NETWORK + ")" : "state_dict")
                    .append('\n');
            sb.append("model:     ").append(model).append(", ").append(agents).append(agents == 1 ? " agent" : " agents")
                    .append(", attention ").append(attention ? "yes" : "no").append('\n');
            sb.append("tensors:   ").append(tensors.size()).append(" (").append(parameterCount())
                    .append(" values)\n\n");
            int nameWidth = "name".length();
            int shapeWidth = "shape".length();
            for (TensorSummary t : tensors) {
                nameWidth = Math.max(nameWidth, t.name().length());
                shapeWidth = Math.max(shapeWidth, shapeText(t.shape()).length());
            }
            String row = "%-" + nameWidth + "s  %-" + shapeWidth + "s  %-8s  %24s  %s%n";
            sb.append(String.format(Locale.ROOT, row, "name", "shape", "dtype", "sum", "sha256"));
            for (TensorSummary t : tensors) {
                sb.append(String.format(Locale.ROOT, row, t.name(), shapeText(t.shape()), t.dtype().displayName(),
                        Double.toString(t.sum()), t.sha256()));
            }
            return sb.toString();
        }

        private static String shapeText(long[] shape) {
            return Arrays.toString(shape).replace(" ", "");
        }
    }

    /**
     * Reads and inspects a checkpoint.
     *
     * @throws CheckpointException if the file is rejected, or holds neither a state_dict nor a training checkpoint
     */
    public static Inspection inspect(Path file) throws CheckpointException {
        return inspect(PtReader.read(file));
    }

    /** Inspects an already read checkpoint. */
    public static Inspection inspect(Checkpoint checkpoint) throws CheckpointException {
        Map<String, TensorData> sd = checkpoint.stateDict();
        List<TensorSummary> tensors = new ArrayList<>(sd.size());
        for (Map.Entry<String, TensorData> e : sd.entrySet()) {
            TensorData t = e.getValue();
            tensors.add(new TensorSummary(e.getKey(), t.shape(), t.dtype(), sum(t), sha256(t.data())));
        }
        TreeSet<Integer> agentIds = new TreeSet<>();
        for (String name : sd.keySet()) {
            Matcher m = FC1_WEIGHT.matcher(name);
            if (m.matches()) {
                // an agent index of more than 6 digits cannot be a real network (and would overflow an int)
                if (m.group(1).length() > 6) {
                    throw new CheckpointException(checkpoint.file(), "parameter '" + name + "' names agent "
                            + m.group(1) + "; agent indices have at most 6 digits");
                }
                agentIds.add(Integer.parseInt(m.group(1)));
            }
        }
        String model = "unknown";
        TensorData fc1 = sd.get("fc1.0.weight");
        if (fc1 != null && fc1.shape().length == 2) {
            long inputWidth = fc1.shape()[1];
            if (inputWidth == TRUNK_FEATURES) {
                model = "Network3d";
            } else if (inputWidth == 2 * TRUNK_FEATURES) {
                model = "CommNet";
            }
        }
        boolean attention = sd.keySet().stream().anyMatch(k -> k.startsWith("comm_att1."));
        return new Inspection(checkpoint.file(), checkpoint.format(), checkpoint.isTrainingCheckpoint(), model,
                agentIds.size(), attention, List.copyOf(tensors));
    }

    /** float64 sum of the values, in row-major order. */
    public static double sum(TensorData t) {
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) t.numel();
        double sum = 0;
        switch (t.dtype()) {
            case FLOAT32 -> {
                for (int i = 0; i < n; i++) {
                    sum += b.getFloat(4 * i);
                }
            }
            case FLOAT64 -> {
                for (int i = 0; i < n; i++) {
                    sum += b.getDouble(8 * i);
                }
            }
            case FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    sum += halfToFloat(b.getShort(2 * i));
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    sum += Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case INT64 -> {
                for (int i = 0; i < n; i++) {
                    sum += b.getLong(8 * i);
                }
            }
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    sum += b.getInt(4 * i);
                }
            }
            case INT16 -> {
                for (int i = 0; i < n; i++) {
                    sum += b.getShort(2 * i);
                }
            }
            case INT8 -> {
                for (int i = 0; i < n; i++) {
                    sum += b.get(i);
                }
            }
            case UINT8, BOOL -> {
                for (int i = 0; i < n; i++) {
                    sum += b.get(i) & 0xff;
                }
            }
        }
        return sum;
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) { // inf / NaN
            return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13);
        }
        if (exponent == 0) { // zero / subnormal: mantissa * 2^-24
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
