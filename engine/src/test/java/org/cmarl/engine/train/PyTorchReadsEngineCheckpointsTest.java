package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real PyTorch reads what a training run of the engine wrote (src/test/resources/python/load_engine_checkpoints.py):
 * {@code torch.load(..., weights_only=True)} of {@code latest_dqn.pt} and {@code latest_checkpoint.pt}, both into the
 * published Network3D class (re-stated from SPEC.md), {@code Adam.load_state_dict} and {@code StepLR.load_state_dict}
 * of the saved states followed by one more step of each, and the network's Q-values against the engine's.
 *
 * <p>Needs {@code python3} with {@code torch} (Debian's python3-torch; {@code .ci/run} installs it). Without it the
 * test is skipped with a message saying what was not checked, except when the environment variable {@code CI} is
 * set: then it fails, so that CI never passes without having checked.
 */
class PyTorchReadsEngineCheckpointsTest {
    private static final String NOT_CHECKED = "not checked: that PyTorch's torch.load(weights_only=True), "
            + "Network3D.load_state_dict, Adam.load_state_dict and StepLR.load_state_dict accept the engine's "
            + "latest_dqn.pt and latest_checkpoint.pt and give the engine's Q-values";

    @Test
    void shouldLoadIntoPyTorchWhenTheEngineWroteTheCheckpoints(@TempDir Path dir) throws Exception {
        // RLM_PYTHON if set; else the first of python3 on the PATH and Debian's /usr/bin/python3 that has torch
        // (a pyenv or virtualenv python3 first on the PATH usually has no torch)
        List<String> candidates = System.getenv("RLM_PYTHON") != null ? List.of(System.getenv("RLM_PYTHON"))
                : List.of("python3", "/usr/bin/python3");
        String python = null;
        String missing = null;
        for (String candidate : candidates) {
            String why = torchMissing(candidate);
            if (why == null) {
                python = candidate;
                break;
            }
            missing = missing == null ? why : missing + ", " + why;
        }
        if (python == null) {
            String ci = System.getenv("CI");
            if (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false")) {
                fail("CI is set but " + missing + " (.ci/run installs python3-torch); " + NOT_CHECKED);
            }
            Assumptions.abort(missing + "; " + NOT_CHECKED);
        }
        TinyRun tiny = new TinyRun(dir.resolve("data"));
        Path logDir = dir.resolve("runs");
        Path run = TinyRun.runOk(logDir, tiny.args(logDir));
        Path model = run.resolve(TrainingCheckpoints.LATEST_WEIGHTS);
        Path training = run.resolve(TrainingCheckpoints.LATEST_CHECKPOINT);

        // the engine's Q-values of the trained network for 3 random observations
        int batch = 3;
        byte[] input = new byte[batch * 4 * 45 * 45 * 45];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) random.nextInt(256);
        }
        float[] q = new float[batch * 6];
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU);
             ObservationBuffer u8 = ObservationBuffer.allocate(batch, 1, FrameType.UINT8)) {
            net.loadStateDict(PtReader.read(model).stateDict());
            u8.buffer().putBytes(0, input);
            net.forward(u8, batch, q);
        }
        Path inputFile = Files.write(dir.resolve("input_u8.bin"), input);
        ByteBuffer qBytes = ByteBuffer.allocate(4 * q.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : q) {
            qBytes.putFloat(v);
        }
        Path qFile = Files.write(dir.resolve("q_engine_f32.bin"), qBytes.array());

        Path script = dir.resolve("load_engine_checkpoints.py");
        try (InputStream in = getClass().getResourceAsStream("/python/load_engine_checkpoints.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(python, script.toString(), model.toString(), training.toString(), "1",
                "Network3d", inputFile.toString(), qFile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python finished");
        assertEquals(0, p.exitValue(), out);
        List<String> ok = out.lines().filter(l -> l.startsWith("ok: ")).toList();
        assertEquals(4, ok.size(), out);
        System.out.println(out);
    }

    /** Null when {@code python -c 'import torch, numpy'} works, else what is missing. */
    private static String torchMissing(String python) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return python + " -c 'import torch' did not finish in 120 s";
            }
            return p.exitValue() == 0 ? null : python + " has no torch (or numpy) module";
        } catch (IOException e) {
            return python + " is not installed";
        }
    }
}
