package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The 5-frame windows against the oracle the learner used before: the same frames copied into two contiguous
 * {@link ObservationBuffer}s (state = window frames 0..3, next state = frames 1..4). The strided views must give
 * bit-identical Q-values, losses and gradients, since the same bytes feed the same network.
 */
class TransitionBatchBufferTest {
    private static final int BATCH = 3;
    private static final int AGENTS = 2;
    private static final long FRAME = TransitionBatchBuffer.FRAME_BYTES;
    private static final int[] ACTIONS = {3, 0, 5, 2, 1, 4};
    private static final float[] REWARDS = {2.5f, -0.3f, -4f, 0.6f, 0.2f, -0.7f};
    private static final boolean[] TERMINAL = {false, true, false, false, true, false};

    /** Random windows, and the same frames as contiguous states / next states. */
    private static void fill(TransitionBatchBuffer windows, ObservationBuffer states, ObservationBuffer nextStates,
            long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < windows.capacityBytes(); i++) {
            UnsafeApi.putByte(windows.address() + i, (byte) random.nextInt(256));
        }
        for (int b = 0; b < windows.capacityBatch(); b++) {
            for (int a = 0; a < windows.agents(); a++) {
                UnsafeApi.copyMemory(windows.address() + windows.frameOffsetBytes(b, a, 0),
                        states.address() + states.frameOffsetBytes(b, a, 0), 4 * FRAME);
                UnsafeApi.copyMemory(windows.address() + windows.frameOffsetBytes(b, a, 1),
                        nextStates.address() + nextStates.frameOffsetBytes(b, a, 0), 4 * FRAME);
            }
        }
    }

    @Test
    void shouldGiveBitIdenticalQValuesWhenNetworkReadsOverlappingViews() {
        NetworkConfig config = new NetworkConfig(Architecture.COMMNET, AGENTS, true, false);
        try (QNetwork net = QNetwork.create(config, 7, Device.CPU);
             TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(BATCH, AGENTS);
             ObservationBuffer s = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             PointerScope scope = new PointerScope()) {
            fill(windows, s, next, 11);
            // batch 2 of 3: the views are narrowed on the batch too
            float[] fromStateView = floats(net.forwardTensor(windows.stateTensor(2), 0));
            float[] fromStates = floats(net.forwardTensor(s.tensor(2), 0));
            float[] fromNextView = floats(net.forwardTensor(windows.nextStateTensor(2), 0));
            float[] fromNextStates = floats(net.forwardTensor(next.tensor(2), 0));
            assertEquals(2 * AGENTS * ObservationGeometry.ACTIONS, fromStates.length);
            assertArrayEquals(fromStates, fromStateView);
            assertArrayEquals(fromNextStates, fromNextView);
        }
    }

    @ParameterizedTest
    @EnumSource(TeamReward.class)
    void shouldGiveBitIdenticalLossAndGradientsWhenLearningFromWindows(TeamReward teamReward) {
        NetworkConfig config = new NetworkConfig(Architecture.COMMNET, AGENTS, false,
                teamReward == TeamReward.ATTENTION);
        try (QNetwork online = QNetwork.create(config, 31, Device.CPU);
             QNetwork target = QNetwork.create(config, 32, Device.CPU);
             TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(BATCH, AGENTS);
             ObservationBuffer s = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             // micro-batch 2: uneven chunks, so the chunking narrows the strided views too
             DqnLearner learner = new DqnLearner(online, target, 1e-3, teamReward, 2)) {
            fill(windows, s, next, 5);
            learner.zeroGrad();
            float expectedLoss = learner.lossAndGradients(s, next, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            float[][] expected = gradients(online);
            learner.zeroGrad();
            float loss = learner.lossAndGradients(windows, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            float[][] actual = gradients(online);
            assertEquals(expectedLoss, loss);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], actual[i], online.parameterNames().get(i));
            }
        }
    }

    @Test
    void shouldTakeTheSameAdamStepWhenUpdatingFromWindows() {
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, AGENTS);
        try (QNetwork onlineA = QNetwork.create(config, 3, Device.CPU);
             QNetwork onlineB = QNetwork.create(config, 3, Device.CPU);
             QNetwork target = QNetwork.create(config, 4, Device.CPU);
             TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(BATCH, AGENTS);
             ObservationBuffer s = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             DqnLearner a = new DqnLearner(onlineA, target, 1e-3, TeamReward.MEAN);
             DqnLearner b = new DqnLearner(onlineB, target, 1e-3, TeamReward.MEAN)) {
            fill(windows, s, next, 9);
            float lossA = a.update(s, next, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            float lossB = b.update(windows, BATCH, ACTIONS, REWARDS, TERMINAL, 0.9);
            assertEquals(lossA, lossB);
            for (String name : onlineA.parameterNames()) {
                assertArrayEquals(ParityReference.floats(onlineA.stateDict().get(name)),
                        ParityReference.floats(onlineB.stateDict().get(name)), name);
            }
        }
    }

    @Test
    void shouldPlaceFrameOffsetsWhereTheViewsReadThem() {
        try (TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(2, 3);
             PointerScope scope = new PointerScope()) {
            assertEquals(2L * 3 * 5 * 45 * 45 * 45, windows.capacityBytes());
            // window frame 3 of (b=1, a=2) is state frame 3 and next-state frame 2
            long voxel = ((4L * 45 + 5) * 45 + 6);
            UnsafeApi.putByte(windows.address() + windows.frameOffsetBytes(1, 2, 3) + voxel, (byte) 200);
            UnsafeApi.putByte(windows.address() + windows.frameOffsetBytes(1, 2, 4) + voxel, (byte) 17);
            Tensor state = windows.stateTensor(2);
            Tensor nextState = windows.nextStateTensor(2);
            assertEquals(200, state.get(1).get(2).get(3).get(4).get(5).get(6).item_int());
            assertEquals(200, nextState.get(1).get(2).get(2).get(4).get(5).get(6).item_int());
            assertEquals(17, nextState.get(1).get(2).get(3).get(4).get(5).get(6).item_int());
            assertEquals(windows.address(), state.data_ptr().address());
            assertEquals(windows.address() + FRAME, nextState.data_ptr().address());
        }
    }

    @Test
    void shouldThrowIllegalStateWhenUsedAfterCloseAndIgnoreSecondClose() {
        TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(1, 1);
        windows.close();
        windows.close();
        assertThrows(IllegalStateException.class, windows::address);
        assertThrows(IllegalStateException.class, windows::block);
        assertThrows(IllegalStateException.class, () -> windows.stateTensor(1));
    }

    @Test
    void shouldNameTheSizesWhenBatchExceedsCapacityOrAgentsDiffer() {
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        try (TransitionBatchBuffer windows = TransitionBatchBuffer.allocate(2, 2);
             QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 1, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE);
             PointerScope scope = new PointerScope()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> windows.stateTensor(3));
            assertEquals("batch=3, capacity 2", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> learner.update(windows, 1, new int[2],
                    new float[2], new boolean[2], 0.9));
            assertEquals("transitions hold 2 agents, networks have 1", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> TransitionBatchBuffer.allocate(0, 1));
            assertEquals("capacityBatch=0, agents=1, both required >= 1", e.getMessage());
        }
    }

    private static float[] floats(Tensor t) {
        Tensor c = t.contiguous();
        int n = (int) c.numel();
        float[] out = new float[n];
        new FloatPointer(c.data_ptr()).capacity(n).get(out, 0, n);
        return out;
    }

    private static float[][] gradients(QNetwork network) {
        float[][] out = new float[network.parameterNames().size()][];
        int i = 0;
        for (String name : network.parameterNames()) {
            TensorData g = network.gradient(name);
            out[i++] = ParityReference.floats(g);
        }
        return out;
    }
}
