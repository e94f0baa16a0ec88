package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A frame derived from the agent's previous frame ({@link RoiExtractor#extractAfter}: whole copies after refused
 * moves, shifted copies after whole-cell x/y moves) is byte-identical to a full extraction of the same window, at
 * every step of random walks that cross every border at every scale.
 */
class FrameReuseTest {
    @ParameterizedTest(name = "{0}, decimated {1}")
    @CsvSource({"UINT8, false", "UINT8, true", "FLOAT32, false", "FLOAT32, true"})
    void shouldWriteTheFullExtractionWhenReusingThePreviousFrame(FrameType type, boolean decimated) {
        int agents = 3;
        try (Volume v = RoiExtractorTest.patterned(61, 58, 70);
             LandmarkEnv env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, agents, true, type, 200, false,
                     decimated));
             NativeBlock oracle = NativeBlock.allocate(ObservationGeometry.frameBytes(type), 64)) {
            SplittableRandom random = new SplittableRandom(11);
            int[] actions = new int[agents];
            int[][] landmarks = {{30, 29, 35}, {2, 3, 4}, {59, 1, 68}};
            int[] stepsPerScale = new int[4];
            long frameBytes = ObservationGeometry.frameBytes(type);
            for (int episode = 0; episode < 8; episode++) {
                env.reset(v, landmarks, episode % 2 == 0 ? Spawn.random() : Spawn.fixed(0, 1, 0.5), random);
                int t = 0;
                while (!env.isOver()) {
                    for (int a = 0; a < agents; a++) {
                        actions[a] = random.nextInt(6);
                    }
                    stepsPerScale[env.scale()]++;
                    env.step(actions, (double[]) null);
                    t++;
                    for (int a = 0; a < agents; a++) {
                        RoiExtractor.extract(v, env.window(a), type, oracle.address());
                        long frame = env.frames().address() + env.frames().newestFrameOffset(a);
                        for (long i = 0; i < frameBytes; i++) {
                            byte expected = UnsafeApi.getByte(oracle.address() + i);
                            byte actual = UnsafeApi.getByte(frame + i);
                            if (expected != actual) {
                                assertEquals(expected, actual, "episode " + episode + " step " + t + " agent " + a
                                        + " byte " + i);
                            }
                        }
                    }
                }
            }
            // every scale walked long enough for refused moves and x/y shifts at each
            assertTrue(stepsPerScale[3] > 300 && stepsPerScale[2] > 50 && stepsPerScale[1] > 50,
                    java.util.Arrays.toString(stepsPerScale));
        }
    }
}
