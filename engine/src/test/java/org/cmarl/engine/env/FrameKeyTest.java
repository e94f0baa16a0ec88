package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

import org.agrona.concurrent.UnsafeBuffer;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;

/**
 * {@link LandmarkEnv#frameKey} is what evaluation's reuse of repeated observations rests on: within one image, two
 * frames with the same key hold the same bytes, whatever path led there (full extraction, a frame derived from the
 * previous one, a jump, a scale step), and the zero frames before an episode's first have key {@code NO_FRAME}.
 */
class FrameKeyTest {
    @Test
    void shouldHoldTheSameBytesWhenFrameKeysAreEqual() {
        int agents = 2;
        try (Volume v = RoiExtractorTest.patterned(61, 58, 70);
             LandmarkEnv env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, agents, true, FrameType.FLOAT32,
                     200, false, true))) {
            SplittableRandom random = new SplittableRandom(5);
            int[] actions = new int[agents];
            int[][] landmarks = {{30, 29, 35}, {2, 3, 4}};
            long frameBytes = ObservationGeometry.frameBytes(FrameType.FLOAT32);
            byte[] bytes = new byte[(int) frameBytes];
            Map<Long, Long> crcOfKey = new HashMap<>();
            Map<Long, Integer> scaleOfKey = new HashMap<>();
            int repeats = 0;
            for (int episode = 0; episode < 6; episode++) {
                env.reset(v, landmarks, episode % 2 == 0 ? Spawn.random() : Spawn.fixed(0, 1, 0.5), random);
                while (!env.isOver()) {
                    for (int a = 0; a < agents; a++) {
                        for (int age = 0; age < ObservationGeometry.FRAMES; age++) {
                            long key = env.frameKey(a, age);
                            int slot = ObservationGeometry.slotOf(env.frames().oldestSlot(), age);
                            new UnsafeBuffer(env.frames().address() + env.frames().slotOffset(a, slot),
                                    bytes.length).getBytes(0, bytes);
                            CRC32 crc = new CRC32();
                            crc.update(bytes);
                            Long before = crcOfKey.putIfAbsent(key, crc.getValue());
                            if (before != null) {
                                repeats++;
                                assertEquals(before, crc.getValue(), "episode " + episode + " step " + env.steps()
                                        + " agent " + a + " age " + age + ": same key, other bytes");
                            }
                            if (age == ObservationGeometry.FRAMES - 1) {
                                Integer scaleBefore = scaleOfKey.putIfAbsent(key, env.scale());
                                if (scaleBefore != null) {
                                    assertEquals(scaleBefore, env.scale(), "one key, two scales");
                                }
                            }
                        }
                    }
                    for (int a = 0; a < agents; a++) {
                        actions[a] = random.nextInt(6);
                    }
                    env.step(actions, (double[]) null);
                }
            }
            // the walks revisit frames (refused moves, oscillations, jumps) and reach every scale
            assertTrue(repeats > 1000, "repeated frames seen: " + repeats);
            assertTrue(scaleOfKey.containsValue(1) && scaleOfKey.containsValue(2) && scaleOfKey.containsValue(3));
        }
    }

    @Test
    void shouldGiveNoFrameToTheZerosBeforeTheFirstFrameWhenReset() {
        try (Volume v = RoiExtractorTest.patterned(61, 58, 70);
             LandmarkEnv env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, 1, true, FrameType.FLOAT32,
                     200, false, true))) {
            env.reset(v, new int[][] {{30, 29, 35}}, Spawn.fixed(0.5, 0.5, 0.5), new SplittableRandom(1));
            for (int age = 0; age < 3; age++) {
                assertEquals(LandmarkEnv.NO_FRAME, env.frameKey(0, age), "age " + age);
            }
            long first = env.frameKey(0, 3);
            assertNotEquals(LandmarkEnv.NO_FRAME, first);
            env.step(new int[] {0}, (double[]) null);
            assertEquals(LandmarkEnv.NO_FRAME, env.frameKey(0, 1));
            assertEquals(first, env.frameKey(0, 2), "the spawn frame is one step older");
            assertThrows(IllegalArgumentException.class, () -> env.frameKey(0, 4));
        }
    }
}
