package org.cmarl.engine.nn;

import static org.cmarl.engine.nn.RingPhases.atPhase;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

/**
 * Per-step native temporaries are freed by their PointerScope, not by the GC. A real batch-1 forward takes tens
 * of milliseconds, so the 10,000-iteration loop runs the cheap op path that uses the same scope machinery
 * (target-network sync: a scope, a no-grad guard and a tensor wrapper per parameter, 550k floats copied), and
 * real forwards and updates run fewer times. Resident memory is read from /proc/self/status.
 */
class NativeMemoryTest {
    private static final long ALLOWED_GROWTH_KB = 32 * 1024;

    private static long residentKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void shouldNotGrowResidentMemoryWhenLoopingForwardsUpdatesAndSyncs() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux /proc");
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        try (QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 2, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(1, 1, FrameType.UINT8);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE)) {
            for (int i = 0; i < obs.capacityBatch() * 4 * 45 * 45 * 45; i++) {
                obs.buffer().putByte(i, (byte) (i * 31));
            }
            float[] q = new float[6];
            int[] actions = {1};
            float[] rewards = {0.5f};
            boolean[] terminal = {false};
            // warm-up: allocator pools, oneDNN primitive caches, JIT
            for (int i = 0; i < 3; i++) {
                online.forward(atPhase(obs, 1, i % 4), 1, q);
                learner.update(obs, obs, 1, actions, rewards, terminal, 0.9);
                learner.syncTarget();
            }
            long before = residentKb();
            for (int i = 0; i < 30; i++) {
                online.forward(atPhase(obs, 1, i % 4), 1, q);
            }
            for (int i = 0; i < 4; i++) {
                learner.update(obs, obs, 1, actions, rewards, terminal, 0.9);
            }
            for (int i = 0; i < 10_000; i++) {
                learner.syncTarget();
            }
            long after = residentKb();
            System.out.println("NativeMemoryTest: VmRSS " + before + " kB -> " + after + " kB");
            assertTrue(after - before < ALLOWED_GROWTH_KB, "VmRSS grew from " + before + " kB to " + after
                    + " kB (allowed " + ALLOWED_GROWTH_KB + " kB)");
        }
    }
}
