package org.cmarl.engine.nn;

import static org.cmarl.engine.nn.RingPhases.atPhase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inference forward (cached channels-last weights, InferenceMode) against the autograd forward it replaced, and
 * the bfloat16 paths against float32.
 */
class QNetworkPrecisionTest {
    private static final int FRAME = 45 * 45 * 45;

    private static void fill(ObservationBuffer b, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long n = (long) b.capacityBatch() * b.agents() * 4 * FRAME;
        for (int i = 0; i < n; i++) {
            // smooth-ish float intensities with fractions, as the evaluator's ROIs are
            b.buffer().putFloat(4 * i, (float) (128 + 100 * Math.sin(i * 1e-3) + r.nextDouble() * 20));
        }
    }

    /** The autograd path (the learner's forward) without gradient: the oracle of the inference path. */
    private static float[] autogradForward(QNetwork net, ObservationBuffer obs, int batch, int phase) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor q = net.forwardTensor(obs.tensor(batch), phase).contiguous();
            float[] out = new float[(int) q.numel()];
            new FloatPointer(q.data_ptr()).capacity(out.length).get(out);
            return out;
        }
    }

    @Test
    void shouldEqualAutogradForwardBitForBitWhenFp32() {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 2), 3, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(2, 2, FrameType.FLOAT32)) {
            fill(obs, 1);
            // All 4 observation-agents in one trunk call on the calling thread, as the autograd forward runs them:
            // the same ops on the same shapes. (The default, one row per call, is checked against the autograd
            // forward row by row in QNetworkForwardTest.)
            net.setTrunkRowsPerCall(4);
            int threadsBefore = Torch.threads();
            Torch.setThreads(1);
            try {
                for (int phase = 0; phase < 4; phase += 3) {
                    float[] q = new float[2 * 2 * 6];
                    net.forward(atPhase(obs, 2, phase), 2, q);
                    assertArrayEquals(autogradForward(net, obs, 2, phase), q, 0f, "phase " + phase);
                }
            } finally {
                Torch.setThreads(threadsBefore);
            }
        }
    }

    @Test
    void shouldUseNewWeightsWhenParametersChangeAfterAForward() {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 3, Device.CPU);
             QNetwork other = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 4, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(1, 1, FrameType.FLOAT32)) {
            fill(obs, 2);
            float[] before = new float[6];
            net.forward(obs, 1, before);
            net.copyWeightsFrom(other); // an in-place update, as the optimiser's step and the target sync are
            float[] after = new float[6];
            net.forward(obs, 1, after);
            assertNotEquals(before[0], after[0]);
            assertArrayEquals(autogradForward(net, obs, 1, 0), after, 0f);
            net.setPrecision(Precision.BF16);
            net.setPrecision(Precision.FP32);
            float[] again = new float[6];
            net.forward(obs, 1, again);
            assertArrayEquals(after, again, 0f);
        }
    }

    @Test
    void shouldStayCloseToFp32WhenBf16() {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 2), 5, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(2, 2, FrameType.FLOAT32)) {
            fill(obs, 3);
            float[] fp32 = new float[24];
            net.forward(atPhase(obs, 2, 1), 2, fp32);
            net.setPrecision(Precision.BF16);
            assertEquals(Precision.BF16, net.precision());
            float[] bf16 = new float[24];
            net.forward(atPhase(obs, 2, 1), 2, bf16);
            double scale = 0;
            for (float v : fp32) {
                scale = Math.max(scale, Math.abs(v));
            }
            boolean anyDifferent = false;
            for (int i = 0; i < fp32.length; i++) {
                // bfloat16 keeps 8 significant bits: relative errors of a few 1e-3 per op, accumulated over 4 layers
                assertEquals(fp32[i], bf16[i], 0.05 * scale, "q " + i);
                anyDifferent |= fp32[i] != bf16[i];
            }
            assertTrue(anyDifferent, "bf16 gave float32's values bit for bit: it did not run in bf16");
        }
    }

    @Test
    void shouldKeepFloat32ParametersAndCloseGradientsWhenTrainingInBf16() {
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        try (QNetwork online = QNetwork.create(config, 7, Device.CPU);
             QNetwork target = QNetwork.create(config, 8, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE);
             ObservationBuffer s = ObservationBuffer.allocate(4, 1, FrameType.UINT8);
             ObservationBuffer s2 = ObservationBuffer.allocate(4, 1, FrameType.UINT8)) {
            SplittableRandom r = new SplittableRandom(9);
            for (int i = 0; i < 4 * 4 * FRAME; i++) {
                s.buffer().putByte(i, (byte) r.nextInt(256));
                s2.buffer().putByte(i, (byte) r.nextInt(256));
            }
            int[] actions = {0, 3, 5, 1};
            float[] rewards = {1f, -0.5f, 0.2f, 0f};
            boolean[] terminal = {false, false, true, false};
            learner.zeroGrad();
            float lossFp32 = learner.lossAndGradients(s, s2, 4, actions, rewards, terminal, 0.9);
            TensorData g32 = online.gradient("conv1.weight");
            TensorData h32 = online.gradient("fc1.0.weight");
            online.setTrainingPrecision(Precision.BF16);
            target.setTrainingPrecision(Precision.BF16);
            learner.zeroGrad();
            float lossBf16 = learner.lossAndGradients(s, s2, 4, actions, rewards, terminal, 0.9);
            TensorData g16 = online.gradient("conv1.weight");
            TensorData h16 = online.gradient("fc1.0.weight");
            assertEquals(lossFp32, lossBf16, 0.05 * Math.abs(lossFp32));
            assertNotEquals(lossFp32, lossBf16, "bf16 loss equal to float32's bit for bit: it did not run in bf16");
            assertEquals(DType.FLOAT32, g16.dtype());
            assertTrue(cosine(g32, g16) > 0.99, "conv1 gradient direction, cosine " + cosine(g32, g16));
            assertTrue(cosine(h32, h16) > 0.99, "fc1 gradient direction, cosine " + cosine(h32, h16));
            learner.step();
            for (TensorData t : online.stateDict().values()) {
                assertEquals(DType.FLOAT32, t.dtype());
            }
        }
    }

    private static double cosine(TensorData a, TensorData b) {
        float[] x = floats(a);
        float[] y = floats(b);
        double xy = 0;
        double xx = 0;
        double yy = 0;
        for (int i = 0; i < x.length; i++) {
            xy += (double) x[i] * y[i];
            xx += (double) x[i] * x[i];
            yy += (double) y[i] * y[i];
        }
        return xy / Math.sqrt(xx * yy);
    }

    private static float[] floats(TensorData t) {
        float[] v = new float[(int) t.numel()];
        java.nio.ByteBuffer.wrap(t.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    @Test
    void shouldChooseBf16OnlyWhenTheCpuHasNativeBf16WhenAuto() {
        Precision.Choice yes = Precision.choose("auto", Device.CPU, Set.of("avx2", "amx_bf16"));
        assertEquals(Precision.BF16, yes.precision());
        assertEquals("precision auto: bf16 (the CPU has amx_bf16)", yes.reason());
        Precision.Choice no = Precision.choose("AUTO", Device.CPU, Set.of("avx2", "avx512f"));
        assertEquals(Precision.FP32, no.precision());
        assertTrue(no.reason().startsWith("precision auto: fp32"), no.reason());
        assertEquals(Precision.BF16, Precision.choose("auto", Device.CUDA, Set.of()).precision());
        assertEquals(Precision.FP32, Precision.choose("fp32", Device.CPU, Set.of("amx_bf16")).precision());
        assertEquals(null, Precision.choose("bf16", Device.CPU, Set.of()).reason());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Precision.choose("fp16", Device.CPU, Set.of()));
        assertEquals("precision 'fp16' is not one of fp32, bf16, auto", e.getMessage());
    }

    @Test
    void shouldReadTheFirstProcessorsFlagsWhenParsingCpuinfo(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cpuinfo");
        Files.write(f, List.of("processor\t: 0", "flags\t\t: fpu avx512f avx512_bf16 amx_tile", "",
                "processor\t: 1", "flags\t\t: fpu"));
        assertEquals(Set.of("fpu", "avx512f", "avx512_bf16", "amx_tile"), Precision.cpuFlags(f));
        assertEquals(Set.of(), Precision.cpuFlags(dir.resolve("missing")));
    }
}
