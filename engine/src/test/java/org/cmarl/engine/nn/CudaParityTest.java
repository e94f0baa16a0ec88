package org.cmarl.engine.nn;

import static org.cmarl.engine.nn.RingPhases.atPhase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.PtWriter;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CUDA against the CPU on the same weights and the same batch (TF32 off, cuDNN benchmark mode on, as a run sets
 * them): forward, loss, gradients, one Adam step, a checkpoint moved between the devices, and a seeded evaluation.
 * Runs wherever libtorch sees a GPU (the -Pgpu build on a GPU server: {@code mvn -Pgpu -pl engine -am verify
 * -Dtest=CudaParityTest}); elsewhere every test is skipped with the reason.
 *
 * <p>Tolerances: float32 on both devices, but cuDNN and cuBLAS sum in other orders than oneDNN and OpenBLAS: about
 * 1e-6 relative per reduction, a few 1e-6 after the network's depth; gradients sum over the batch, 1e-4 relative.
 */
class CudaParityTest {
    private static final int BATCH = 5;
    private static final int AGENTS = 3;
    private static final int[] ACTIONS = {3, 0, 5, 2, 1, 4, 0, 0, 2, 5, 1, 3, 4, 4, 1};
    private static final float[] REWARDS = {2.5f, -0.3f, -4f, 0.6f, 0.2f, -0.7f, 1f, -1f, 0f, 0.35f, -0.2f, 0.9f,
        0.1f, -0.05f, 3f};
    private static final boolean[] TERMINAL = {false, true, false, false, true, false, false, false, false, true,
        false, false, false, false, true};
    static final Path SHARED = Path.of(System.getProperty("rlm.shared.dir", "../shared"));

    /** Per test (not BeforeAll), so each is reported skipped with the reason rather than silently absent. */
    @BeforeEach
    void needsAGpu() {
        Torch.ensureLoaded();
        assumeTrue(torch.cuda_is_available(), () -> "skipped: libtorch sees no CUDA device ("
                + Device.whyNoCuda(Context.hasCUDA(), Device.NVIDIA_DRIVER_VERSION) + ")");
        Torch.configureCuda(false);
    }

    private static NetworkConfig commNet() {
        return new NetworkConfig(Architecture.COMMNET, AGENTS, true, true);
    }

    /** The same random windows in a CPU buffer and a pinned (CUDA) buffer. */
    private static void fillSame(TransitionBatchBuffer cpu, TransitionBatchBuffer cuda, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < cpu.capacityBytes(); i++) {
            byte b = (byte) random.nextInt(256);
            UnsafeApi.putByte(cpu.address() + i, b);
            UnsafeApi.putByte(cuda.address() + i, b);
        }
    }

    private static void assertClose(float[] expected, float[] actual, double relative, double absolute, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double tolerance = absolute + relative * Math.abs(expected[i]);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tolerance, what + "[" + i + "]: CPU " + expected[i]
                    + ", CUDA " + actual[i] + ", tolerance " + tolerance);
        }
    }

    @Test
    void shouldMatchCpuQValuesWhenForwardOnCuda() {
        try (QNetwork cpu = QNetwork.create(commNet(), 7, Device.CPU);
             QNetwork cuda = QNetwork.create(commNet(), 8, Device.CUDA);
             ObservationBuffer inCpu = ObservationBuffer.allocate(BATCH, AGENTS,
                     FrameType.UINT8);
             ObservationBuffer inCuda = ObservationBuffer.allocate(BATCH, AGENTS,
                     FrameType.UINT8, Device.CUDA)) {
            cuda.loadStateDict(cpu.stateDict());
            SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < inCpu.capacityBatch() * AGENTS * 4 * inCpu.frameBytes(); i++) {
                byte b = (byte) random.nextInt(256);
                UnsafeApi.putByte(inCpu.address() + i, b);
                UnsafeApi.putByte(inCuda.address() + i, b);
            }
            float[] qCpu = new float[BATCH * AGENTS * ObservationGeometry.ACTIONS];
            float[] qCuda = new float[qCpu.length];
            for (int phase = 0; phase < ObservationGeometry.FRAMES; phase += 3) {
                cpu.forward(atPhase(inCpu, BATCH, phase), BATCH, qCpu);
                cuda.forward(atPhase(inCuda, BATCH, phase), BATCH, qCuda);
                assertClose(qCpu, qCuda, 1e-5, 1e-6, "Q phase " + phase);
            }
        }
    }

    @Test
    void shouldMatchCpuLossGradientsAndAdamStepWhenUpdatingOnCuda() {
        try (QNetwork onlineCpu = QNetwork.create(commNet(), 31, Device.CPU);
             QNetwork targetCpu = QNetwork.create(commNet(), 32, Device.CPU);
             QNetwork onlineCuda = QNetwork.create(commNet(), 1, Device.CUDA);
             QNetwork targetCuda = QNetwork.create(commNet(), 2, Device.CUDA);
             TransitionBatchBuffer windowsCpu = TransitionBatchBuffer.allocate(BATCH, AGENTS);
             TransitionBatchBuffer windowsCuda = TransitionBatchBuffer.allocate(BATCH, AGENTS, Device.CUDA);
             // micro-batch 2 of 5: uneven chunks of device views
             DqnLearner cpu = new DqnLearner(onlineCpu, targetCpu, 1e-3, TeamReward.ATTENTION, 2);
             DqnLearner cuda = new DqnLearner(onlineCuda, targetCuda, 1e-3, TeamReward.ATTENTION, 2)) {
            onlineCuda.loadStateDict(onlineCpu.stateDict());
            targetCuda.loadStateDict(targetCpu.stateDict());
            fillSame(windowsCpu, windowsCuda, 5);

            cpu.zeroGrad();
            cuda.zeroGrad();
            float lossCpu = cpu.lossAndGradients(windowsCpu, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            float lossCuda = cuda.lossAndGradients(windowsCuda, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            assertEquals(lossCpu, lossCuda, 1e-5 * Math.abs(lossCpu), "loss");
            LinkedHashMap<String, float[]> gradCpu = new LinkedHashMap<>();
            for (String name : onlineCpu.parameterNames()) {
                float[] g = ParityReference.floats(onlineCpu.gradient(name));
                gradCpu.put(name, g);
                float scale = 0;
                for (float v : g) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertClose(g, ParityReference.floats(onlineCuda.gradient(name)), 1e-4, 1e-5 * scale,
                        "gradient " + name);
            }

            cpu.step();
            cuda.step();
            // Adam's first step is lr * g / (|g| + eps): +-lr wherever |g| is well above float noise; where the
            // gradient is ~0 its sign is noise on either device, so those elements are not compared.
            for (String name : onlineCpu.parameterNames()) {
                float[] wCpu = ParityReference.floats(onlineCpu.stateDict().get(name));
                float[] wCuda = ParityReference.floats(onlineCuda.stateDict().get(name));
                float[] g = gradCpu.get(name);
                for (int i = 0; i < wCpu.length; i++) {
                    if (Math.abs(g[i]) > 1e-5) {
                        assertEquals(wCpu[i], wCuda[i], 1e-6 + 1e-5 * Math.abs(wCpu[i]), name + "[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void shouldRestoreTheSameWeightsAndAdamStateWhenACheckpointMovesBetweenDevices(@TempDir Path dir)
            throws Exception {
        try (QNetwork onlineCuda = QNetwork.create(commNet(), 11, Device.CUDA);
             QNetwork targetCuda = QNetwork.create(commNet(), 12, Device.CUDA);
             QNetwork onlineCpu = QNetwork.create(commNet(), 13, Device.CPU);
             QNetwork backOnCuda = QNetwork.create(commNet(), 14, Device.CUDA);
             TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(BATCH, AGENTS, Device.CUDA);
             DqnLearner learnerCuda = new DqnLearner(onlineCuda, targetCuda, 1e-3, TeamReward.MEAN);
             DqnLearner learnerCpu = new DqnLearner(onlineCpu, onlineCpu, 1e-3, TeamReward.MEAN)) {
            try (TransitionBatchBuffer scratch = TransitionBatchBuffer.allocate(BATCH, AGENTS)) {
                fillSame(scratch, windows, 17);
            }
            learnerCuda.update(windows, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            // CUDA -> file -> CPU
            Path file = dir.resolve("cuda.pt");
            PtWriter.writeStateDict(file, onlineCuda.stateDict());
            LinkedHashMap<String, TensorData> read = PtReader.read(file).stateDict();
            onlineCpu.loadStateDict(read);
            assertEquals(onlineCuda.stateDict(), onlineCpu.stateDict(), "weights CUDA -> CPU");
            AdamState adam = learnerCuda.optimiserState(1e-3);
            learnerCpu.loadOptimiserState(adam);
            AdamState adamCpu = learnerCpu.optimiserState(1e-3);
            for (int i = 0; i < adam.params().size(); i++) {
                assertEquals(adam.params().get(i), adamCpu.params().get(i), "Adam state " + i + " CUDA -> CPU");
            }
            // CPU -> CUDA
            backOnCuda.loadStateDict(onlineCpu.stateDict());
            assertEquals(onlineCpu.stateDict(), backOnCuda.stateDict(), "weights CPU -> CUDA");
        }
    }

    @Test
    void shouldEndWhereTheCpuEndsWhenEvaluatingTheSameSeededEpisodesOnCuda() throws Exception {
        Path brain = SHARED.resolve("sample-data/brain");
        List<FileList.Pair> pairs = FileList.pairs(brain.resolve("image_files.txt"),
                brain.resolve("landmark_files.txt"));
        List<LabelledImage> images = new ArrayList<>();
        LinkedHashMap<String, TensorData> weights =
                PtReader.read(SHARED.resolve("models/BrainMRI/SingleAgent.pt")).stateDict();
        try (QNetwork cpu = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU);
             QNetwork cuda = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CUDA)) {
            cpu.loadStateDict(weights);
            cuda.loadStateDict(weights);
            for (FileList.Pair p : pairs.subList(0, 2)) {
                Volume v = NiftiReader.load(p.image());
                images.add(new LabelledImage(p.image().getFileName().toString(), v,
                        new int[][]{LandmarkReader.landmark(p.landmarks(), FileType.BRAIN, 13, v)}));
            }
            List<Spawn> spawns = List.of(Spawn.random(), Spawn.fixed(0.25, 0.75, 0.25), Spawn.random());
            List<EpisodeResult> onCpu;
            List<EpisodeResult> onCuda;
            try (NetworkQFunction q = new NetworkQFunction(cpu, Device.CPU.defaultBatchEpisodes())) {
                onCpu = new Evaluator(q, Mode.EVAL, 200).run(images, spawns, new SplittableRandom(2024), null);
            }
            try (NetworkQFunction q = new NetworkQFunction(cuda, Device.CUDA.defaultBatchEpisodes())) {
                onCuda = new Evaluator(q, Mode.EVAL, 200).run(images, spawns, new SplittableRandom(2024), null);
            }
            assertEquals(onCpu.size(), onCuda.size());
            for (int i = 0; i < onCpu.size(); i++) {
                String what = onCpu.get(i).fileName() + " run " + onCpu.get(i).run();
                assertArrayEquals(onCpu.get(i).start()[0], onCuda.get(i).start()[0], what + " start");
                assertArrayEquals(onCpu.get(i).end()[0], onCuda.get(i).end()[0], what + " final position");
                assertEquals(onCpu.get(i).steps(), onCuda.get(i).steps(), what + " steps");
            }
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }
}
