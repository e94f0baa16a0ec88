package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationLayout;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Rules of SPEC.md section 3 on small synthetic volumes, and the rejection of bad input. */
class LandmarkEnvTest {
    private static Volume volume;

    @BeforeAll
    static void createVolume() {
        volume = RoiExtractorTest.patterned(60, 70, 80);
    }

    @AfterAll
    static void closeVolume() {
        volume.close();
    }

    private static EnvConfig config(Mode mode, int agents, boolean multiscale) {
        return new EnvConfig(mode, agents, multiscale, FrameType.FLOAT32, 200, false);
    }

    private static int[] location(LandmarkEnv env, int agent) {
        return EnvParityTest.location(env, agent);
    }

    @Test
    void shouldOscillateAfter11StepsWhenStandingStillFromFreshHistory() {
        // agent at x = 1: every x- move would reach 0 and is refused, so it stands still (SPEC.md section 3 quirk)
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, false))) {
            env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.fixed(1.0 / 59, 0.5, 0.5), null);
            assertArrayEquals(new int[]{1, 34, 39}, location(env, 0));
            for (int t = 1; t <= 10; t++) {
                env.step(new int[]{Actions.X_MINUS}, (double[]) null);
                assertEquals(true, env.refused(0));
                assertEquals(-1.0, env.reward(0));
                assertEquals(false, env.oscillated(), "step " + t);
            }
            env.step(new int[]{Actions.X_MINUS}, (double[]) null);
            assertEquals(true, env.oscillated());
            assertEquals(true, env.isOver(), "without multiscale the first oscillation ends the episode");
            assertEquals(true, env.terminal(0));
            assertEquals(-11.0, env.score(0));
        }
    }

    @Test
    void shouldOscillateAfter14StepsWhenAlternatingBetweenTwoPoints() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, true))) {
            env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            for (int t = 1; t <= 13; t++) {
                env.step(new int[]{t % 2 == 1 ? Actions.Z_PLUS : Actions.Z_MINUS}, (double[]) null);
                assertEquals(false, env.oscillated(), "step " + t);
            }
            env.step(new int[]{Actions.Z_MINUS}, (double[]) null);
            assertEquals(true, env.oscillated());
            assertEquals(2, env.scale());
            assertEquals(3, env.stepVoxels());
            assertEquals(false, env.isOver());
        }
    }

    @Test
    void shouldJumpToLowestMaxQOfLastFourWhenOscillatingAndPreferOldestOnTies() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, false))) {
            env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            // z: 39 -> 40 -> 39 -> ... ; 14 steps fire the test. Max-Q of the last four steps (11..14): 5, 9, 2, 2:
            // the lowest is 2, tied between step 13 (z = 40) and step 14 (z = 39): the oldest, step 13, wins.
            double[] maxQ = new double[15];
            java.util.Arrays.fill(maxQ, 7.0);
            maxQ[11] = 5;
            maxQ[12] = 9;
            maxQ[13] = 2;
            maxQ[14] = 2;
            for (int t = 1; t <= 14; t++) {
                double[] q = {-1, maxQ[t], 0, 0, 0, -3};
                env.step(new int[]{t % 2 == 1 ? Actions.Z_PLUS : Actions.Z_MINUS}, q);
            }
            assertEquals(true, env.oscillated());
            assertArrayEquals(new int[]{29, 34, 40}, location(env, 0));
            assertEquals(39, env.movedLocation(0, 2));
            assertEquals(Math.sqrt(1 + 16 + 100), env.distanceMm(0), 1e-12, "distance after the jump");
            assertEquals(Math.sqrt(117) - Math.sqrt(98), env.reward(0), 1e-12,
                    "the move's reward (z 40 -> 39); the jump is not rewarded");
        }
    }

    @Test
    void shouldJumpLikeDoublesWhenQValuesComeAsFloats() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 2, false))) {
            env.reset(volume, new int[][]{{30, 30, 30}, {5, 5, 5}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            // both agents alternate z+ / z-; agent 0's lowest max-Q among steps 11..14 is at step 13 (z = 40),
            // agent 1's at step 14 (z = 39): one float row per agent, agent-major
            for (int t = 1; t <= 14; t++) {
                float a0 = t == 13 ? 0.5f : 3f;
                float a1 = t == 14 ? 0.25f : 3f;
                float[] q = {a0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a1};
                int action = t % 2 == 1 ? Actions.Z_PLUS : Actions.Z_MINUS;
                env.step(new int[]{action, action}, q);
            }
            assertEquals(true, env.oscillated());
            assertEquals(40, env.location(0, 2));
            assertEquals(39, env.location(1, 2));
        }
    }

    @Test
    void shouldRefuseMinusMoveToZeroButAllowPlusMoveToLastIndex() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, false))) {
            env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.fixed(58.0 / 59, 1.0 / 69, 0.5), null);
            assertArrayEquals(new int[]{58, 1, 39}, location(env, 0));
            env.step(new int[]{Actions.X_PLUS}, (double[]) null);
            assertEquals(false, env.refused(0));
            assertEquals(59, env.location(0, 0));
            env.step(new int[]{Actions.X_PLUS}, (double[]) null);
            assertEquals(true, env.refused(0));
            env.step(new int[]{Actions.Y_MINUS}, (double[]) null);
            assertEquals(true, env.refused(0));
            assertEquals(1, env.location(0, 1));
        }
    }

    @Test
    void shouldTruncateFractionTimesDimMinusOneWhenSpawningFixed() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, true))) {
            // 49/181 * 181 is 48.99999999999999 in double: int() gives 48 (reference/README.md)
            Volume big = RoiExtractorTest.patterned(182, 4, 4);
            try (big) {
                env.reset(big, new int[][]{{1, 1, 1}}, Spawn.fixed(0.27071823204419887, 1.0, 0.0), null);
                assertArrayEquals(new int[]{48, 3, 0}, location(env, 0));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TRAIN", "EVAL", "PLAY"})
    void shouldDrawRandomSpawnsInsideMarginsReproduciblyWhenSeeded(String modeName) {
        Mode mode = Mode.valueOf(modeName);
        int agents = 5;
        int[][] landmarks = mode == Mode.PLAY ? null : new int[agents][];
        if (landmarks != null) {
            java.util.Arrays.fill(landmarks, new int[]{10, 10, 10});
        }
        int[] dims = {60, 70, 80};
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(mode, agents, true))) {
            SplittableRandom random = new SplittableRandom(42);
            SplittableRandom oracle = new SplittableRandom(42);
            for (int episode = 0; episode < 20; episode++) {
                env.reset(volume, landmarks, Spawn.random(), random);
                for (int axis = 0; axis < 3; axis++) {
                    int margin = mode == Mode.TRAIN ? dims[axis] / 5 : dims[axis] / 4;
                    for (int a = 0; a < agents; a++) {
                        // x of every agent first, then y, then z: the published randint(m, dim - m, agents) order
                        assertEquals(oracle.nextInt(margin, dims[axis] - margin), env.location(a, axis));
                    }
                }
            }
        }
    }

    @Test
    void shouldKeepFramesAsRingWithNewestInDocumentedSlot() {
        EnvConfig config = new EnvConfig(Mode.EVAL, 2, true, FrameType.UINT8, 200, false);
        ObservationLayout layout = new ObservationLayout(2, FrameType.UINT8);
        try (NativeBlock input = NativeBlock.allocate(layout.totalBytes(3), 64);
             NativeBlock expected = NativeBlock.allocate(layout.frameBytes(), 64);
             LandmarkEnv env = new LandmarkEnv(config, new FrameRing(input, layout.frameOffset(1, 0, 0), layout))) {
            env.reset(volume, new int[][]{{30, 30, 30}, {5, 6, 7}}, Spawn.fixed(new double[][]{{0.5, 0.5, 0.5},
                    {0.1, 0.9, 0.2}}), null);
            assertEquals(1, env.frames().oldestSlot());
            assertEquals(0, env.frames().newestSlot());
            for (int slot = 1; slot < 4; slot++) {
                assertEquals(0L, sumBytes(input, layout.frameOffset(1, 1, slot), layout.frameBytes()), "zero slot");
            }
            int[] actions = {Actions.X_PLUS, Actions.Y_MINUS};
            for (int t = 1; t <= 6; t++) {
                env.step(actions, (double[]) null);
                assertEquals((t + 1) & 3, env.frames().oldestSlot());
                assertEquals(t & 3, env.frames().newestSlot());
                for (int a = 0; a < 2; a++) {
                    RoiWindow w = new RoiWindow();
                    w.set(env.scale(), env.location(a, 0), env.location(a, 1), env.location(a, 2), 60, 70, 80);
                    RoiExtractor.extract(volume, w, FrameType.UINT8, expected.address());
                    long newest = layout.frameOffset(1, a, env.frames().newestSlot());
                    assertEquals(newest, layout.frameOffset(1, 0, 0) + env.frames().newestFrameOffset(a));
                    for (int i = 0; i < layout.frameBytes(); i++) {
                        if (expected.buffer().getByte(i) != input.buffer().getByte((int) newest + i)) {
                            assertEquals(expected.buffer().getByte(i), input.buffer().getByte((int) newest + i),
                                    "agent " + a + " step " + t + " byte " + i);
                        }
                    }
                }
            }
            // batch entries 0 and 2 are not this environment's and stay untouched
            assertEquals(0L, sumBytes(input, 0, layout.batchEntryBytes()));
            assertEquals(0L, sumBytes(input, layout.frameOffset(2, 0, 0), layout.batchEntryBytes()));
        }
    }

    private static long sumBytes(NativeBlock block, long offset, long length) {
        long sum = 0;
        for (long i = offset; i < offset + length; i++) {
            sum += block.buffer().getByte((int) i) & 0xFF;
        }
        return sum;
    }

    @Test
    void shouldFreezeDoneAgentWhenConfiguredInTraining() {
        EnvConfig config = new EnvConfig(Mode.TRAIN, 2, false, FrameType.UINT8, 200, true);
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config)) {
            env.reset(volume, new int[][]{{29, 34, 39}, {20, 20, 20}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            env.step(new int[]{Actions.X_PLUS, Actions.X_PLUS}, (double[]) null);
            assertEquals(true, env.terminal(0), "distance before the step was 0");
            assertEquals(false, env.terminal(1));
            assertEquals(30, env.location(0, 0));
            env.step(new int[]{Actions.X_PLUS, Actions.X_PLUS}, (double[]) null);
            assertEquals(30, env.location(0, 0), "frozen: no-op");
            assertEquals(0.0, env.reward(0));
            assertEquals(true, env.terminal(0), "sticky when frozen");
            assertEquals(-1.0, env.score(0), 1e-12, "own rewards only: -1 for moving away, then 0");
            assertEquals(1, env.successCount(0));
            assertEquals(31, env.location(1, 0));
        }
    }

    @Test
    void shouldLetDoneAgentKeepActingWhenTrainingAsPublished() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.TRAIN, 1, false))) {
            env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.onLandmark(), null);
            env.step(new int[]{Actions.X_PLUS}, (double[]) null);
            assertEquals(true, env.terminal(0), "the distance before the move counts, wherever it moves");
            assertEquals(true, env.isOver(), "every agent terminal on the same step");
        }
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.TRAIN, 2, false))) {
            env.reset(volume, new int[][]{{29, 34, 39}, {10, 10, 10}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            env.step(new int[]{Actions.X_PLUS, Actions.X_PLUS}, (double[]) null);
            assertEquals(true, env.terminal(0));
            env.step(new int[]{Actions.X_PLUS, Actions.X_PLUS}, (double[]) null);
            assertEquals(true, env.terminal(0), "1 mm away before this step");
            assertEquals(31, env.location(0, 0), "not frozen");
            env.step(new int[]{Actions.X_PLUS, Actions.X_PLUS}, (double[]) null);
            assertEquals(false, env.terminal(0), "not sticky: 2 mm away before this step");
            assertEquals(32, env.location(0, 0));
            assertEquals(2, env.successCount(0));
        }
    }

    // ---- bad input ----

    @ParameterizedTest
    @ValueSource(ints = {-1, 6, 15})
    void shouldRejectActionOutsideRangeAndLeaveStateUnchanged(int action) {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 2, true))) {
            env.reset(volume, new int[][]{{30, 30, 30}, {5, 5, 5}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            long before = sumFloats(env);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> env.step(new int[]{Actions.X_PLUS, action}, (double[]) null));
            assertEquals("action of agent 1 = " + action + ", expected 0..5", e.getMessage());
            assertEquals(0, env.steps());
            assertArrayEquals(new int[]{29, 34, 39}, location(env, 0));
            assertEquals(before, sumFloats(env));
            assertEquals(1, env.frames().oldestSlot());
        }
    }

    private static long sumFloats(LandmarkEnv env) {
        long bits = 0;
        long base = env.frames().address();
        for (long i = 0; i < env.layout().batchEntryBytes(); i += 4) {
            bits = bits * 31 + Float.floatToIntBits(org.agrona.UnsafeApi.getFloat(base + i));
        }
        return bits;
    }

    @Test
    void shouldRejectWrongQValueCountAndNonFiniteQValues() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, true))) {
            env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.fixed(0.5, 0.5, 0.5), null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> env.step(new int[]{0}, new double[5]));
            assertEquals("expected 6 Q-values (1 agents x 6), got 5", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> env.step(new int[]{0}, new double[]{0, 0, Double.NaN, 0, 0, 0}));
            assertEquals("Q-value 2 of agent 0 = NaN, expected a finite number", e.getMessage());
            assertEquals(0, env.steps());
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {-0.1, 1.5, Double.NaN})
    void shouldRejectSpawnFractionOutsideUnitInterval(double fraction) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Spawn.fixed(0.5, fraction, 0.5));
        assertEquals("fixed spawn fraction " + fraction + " (row 0, axis y) is outside [0, 1]", e.getMessage());
    }

    @Test
    void shouldRejectLandmarkOutsideImage() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.EVAL, 1, true))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> env.reset(volume, new int[][]{{30, 70, 30}}, Spawn.fixed(0.5, 0.5, 0.5), null));
            assertEquals("landmark of agent 0 = [30, 70, 30] is outside image patterned of 60x70x80 voxels",
                    e.getMessage());
        }
    }

    @Test
    void shouldRejectZeroAgents() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(Mode.EVAL, 0, true));
        assertEquals("agents=0, expected >= 1", e.getMessage());
    }

    @Test
    void shouldRejectFreezingOutsideTraining() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EnvConfig(Mode.EVAL, 1, true, FrameType.FLOAT32, 200, true));
        assertEquals("freezeDoneAgents applies to TRAIN only, mode=EVAL", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new EnvConfig(Mode.EVAL, 1, true, FrameType.FLOAT32, 0, false));
        assertEquals("maxStepsPerEpisode=0, expected >= 1", e.getMessage());
    }

    @Test
    void shouldRefuseRingWhenItsAgentsOrFrameTypeDifferFromTheConfig() {
        EnvConfig config = config(Mode.EVAL, 2, true);
        ObservationLayout oneAgent = new ObservationLayout(1, FrameType.FLOAT32);
        ObservationLayout bytes = new ObservationLayout(2, FrameType.UINT8);
        try (NativeBlock block = NativeBlock.allocate(new ObservationLayout(2, FrameType.FLOAT32).batchEntryBytes(),
                64)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LandmarkEnv(config, new FrameRing(block, 0, oneAgent)));
            assertEquals("observation of 1 agents (FLOAT32) given to an environment of 2 agents (FLOAT32)",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new LandmarkEnv(config, new FrameRing(block, 0, bytes)));
            assertEquals("observation of 2 agents (UINT8) given to an environment of 2 agents (FLOAT32)",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new LandmarkEnv(config, null));
        }
    }

    @Test
    void shouldWriteSameFramesWhenGivenARingAtAnOffsetInTheCallersBlock() {
        EnvConfig config = config(Mode.EVAL, 1, true);
        ObservationLayout layout = new ObservationLayout(1, FrameType.FLOAT32);
        long bytes = layout.batchEntryBytes();
        try (NativeBlock callers = NativeBlock.allocate(bytes + 64, 64);
             LandmarkEnv inCallers = new LandmarkEnv(config, new FrameRing(callers, 64, layout));
             LandmarkEnv own = LandmarkEnv.withOwnBuffer(config)) {
            for (LandmarkEnv env : new LandmarkEnv[]{inCallers, own}) {
                env.reset(volume, new int[][]{{3, 4, 5}}, Spawn.fixed(0.1, 0.2, 0.9), null);
                env.step(new int[]{Actions.Z_PLUS}, (double[]) null);
            }
            assertEquals(callers.address() + 64, inCallers.frames().address());
            assertEquals(sumFloats(own), sumFloats(inCallers));
            assertEquals(own.frames().oldestSlot(), inCallers.frames().oldestSlot());
        }
    }

    @Test
    void shouldRejectLandmarkSpawnAndLandmarksWhenPlay() {
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.PLAY, 1, true))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> env.reset(volume, null, Spawn.onLandmark(), null));
            assertEquals("spawn on the landmark is impossible in play mode: play has no landmarks; use a random or "
                    + "fixed spawn", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> env.reset(volume, new int[][]{{1, 1, 1}}, Spawn.fixed(0.5, 0.5, 0.5), null));
            assertEquals("play mode has no landmarks, got 1", e.getMessage());
        }
    }

    @Test
    void shouldThrowIllegalStateWhenSteppingOverEpisodeOrClosed() {
        LandmarkEnv env = LandmarkEnv.withOwnBuffer(config(Mode.TRAIN, 1, false));
        env.reset(volume, new int[][]{{30, 30, 30}}, Spawn.onLandmark(), null);
        env.step(new int[]{0}, (double[]) null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> env.step(new int[]{0}, (double[]) null));
        assertEquals("episode is over after 1 steps: call reset", e.getMessage());
        env.close();
        env.close();
        e = assertThrows(IllegalStateException.class, () -> env.step(new int[]{0}, (double[]) null));
        assertEquals("environment is closed", e.getMessage());
    }
}
