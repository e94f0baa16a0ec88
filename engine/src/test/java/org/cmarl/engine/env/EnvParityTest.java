package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.observation.ObservationLayout;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Step-by-step parity with the published environment: the 31 scripted episodes of
 * {@code reference/scripted_episodes.json} and the 6 centre-spawn trajectories of
 * {@code reference/singleagent_trajectories_centre_spawn.json}, on the sample scans.
 */
class EnvParityTest {
    private static final double TOLERANCE = 1e-9;
    private static final Path SHARED = Path.of(System.getProperty("rlm.shared.dir", "../shared"));
    private static final Path BRAIN = SHARED.resolve("sample-data/brain");
    private static final Path REFERENCE = SHARED.resolve("reference");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Loaded scans by file name: loading one takes ~0.3 s, and the episodes reuse 6 scans. */
    private static final Map<String, Volume> VOLUMES = new ConcurrentHashMap<>();
    private static ByteBuffer hashBuffer = ByteBuffer.allocateDirect(0);

    @AfterAll
    static void closeVolumes() {
        VOLUMES.values().forEach(Volume::close);
        VOLUMES.clear();
    }

    static Stream<Arguments> scriptedEpisodes() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(REFERENCE), "shared folder absent: " + SHARED);
        JsonNode root = JSON.readTree(REFERENCE.resolve("scripted_episodes.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (boolean decimated : new boolean[]{false, true}) {
            for (JsonNode e : root.get("episodes")) {
                out.add(Arguments.of(e.get("id").asText(), decimated, e));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} decimated={1}")
    @MethodSource("scriptedEpisodes")
    void shouldReproduceScriptedEpisodeWhenFedRecordedActions(String id, boolean decimated, JsonNode episode)
            throws Exception {
        Mode mode = Mode.valueOf(episode.get("task").asText().toUpperCase());
        int agents = episode.get("agents").asInt();
        String imageFile = episode.get("image_file").asText();
        Volume volume = volume(imageFile);
        assertArrayEquals(ints(episode.get("image_dims")), new int[]{volume.nx(), volume.ny(), volume.nz()});

        int[][] landmarks = null;
        if (mode != Mode.PLAY) {
            landmarks = new int[agents][];
            int[] ids = ints(episode.get("landmark_ids"));
            for (int a = 0; a < agents; a++) {
                // ids 13, 14, 0, 1, 2 are < 15, so the published row id % 15 is the row id (SPEC.md section 2)
                landmarks[a] = landmarkRow(imageFile, ids[a]);
                assertArrayEquals(ints(episode.get("landmark_locations").get(a)), landmarks[a], id + " landmark " + a);
            }
        }
        Spawn spawn = episode.get("spawn").isTextual() ? Spawn.onLandmark() : Spawn.fixed(doubles2(episode.get("spawn")));
        EnvConfig config = new EnvConfig(mode, agents, episode.get("multiscale").asBoolean(), FrameType.FLOAT32,
                120, false, decimated);
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config)) {
            env.reset(volume, landmarks, spawn, null);
            JsonNode reset = episode.get("reset");
            for (int a = 0; a < agents; a++) {
                assertArrayEquals(ints(episode.get("start_locations").get(a)), location(env, a), id + " start " + a);
                assertEquals(reset.get("cur_dist").get(a).asDouble(), env.distanceMm(a), TOLERANCE, id + " reset dist");
                assertArrayEquals(ints(reset.get("roi").get(a)), roi(env, a), id + " reset roi " + a);
            }
            assertEquals(reset.get("xscale").asInt(), env.scale());
            assertEquals(reset.get("action_step").asInt(), env.stepVoxels());
            boolean stacked = mode != Mode.TRAIN;
            assertEquals(reset.get("obs_sha256").asText(), observationSha256(env, stacked), id + " reset observation");

            int nSteps = episode.get("n_steps").asInt();
            assertEquals(nSteps, episode.get("steps").size());
            double sharedScore = 0;
            for (JsonNode step : episode.get("steps")) {
                int t = step.get("t").asInt();
                String at = id + " t=" + t;
                assertEquals(false, env.isOver(), at + " over too early");
                env.step(ints(step.get("actions")), flatten(step.get("q_values")));
                for (int a = 0; a < agents; a++) {
                    String who = at + " agent " + a;
                    assertArrayEquals(ints(step.get("location_moved").get(a)), movedLocation(env, a), who + " moved");
                    assertEquals(step.get("refused").get(a).asBoolean(), env.refused(a), who + " refused");
                    assertArrayEquals(ints(step.get("location").get(a)), location(env, a), who + " location");
                    assertEquals(step.get("rewards").get(a).asDouble(), env.reward(a), TOLERANCE, who + " reward");
                    assertEquals(step.get("terminal").get(a).asBoolean(), env.terminal(a), who + " terminal");
                    assertEquals(step.get("cur_dist").get(a).asDouble(), env.distanceMm(a), TOLERANCE, who + " dist");
                    assertArrayEquals(ints(step.get("roi").get(a)), roi(env, a), who + " roi");
                    sharedScore += env.reward(a);
                }
                assertEquals(step.get("oscillation").asBoolean(), env.oscillated(), at + " oscillation");
                assertEquals(step.get("xscale").asInt(), env.scale(), at + " scale");
                assertEquals(step.get("action_step").asInt(), env.stepVoxels(), at + " step");
                assertEquals(step.get("obs_sha256").asText(), observationSha256(env, stacked), at + " observation");
                // the published info score is the sum over all agents (one shared list); ours is per agent
                double ourSum = 0;
                for (int a = 0; a < agents; a++) {
                    ourSum += env.score(a);
                }
                assertEquals(sharedScore, ourSum, 1e-6, at + " score");
                assertEquals(step.get("info_score").get(0).asDouble(), ourSum, 1e-6, at + " shared score");
            }
            assertEquals(true, env.isOver(), id + " over at the end (" + episode.get("end").asText() + ")");
            assertEquals(episode.get("final_xscale").asInt(), env.scale());
        }
    }

    @Test
    void shouldReproduceCentreSpawnTrajectoriesWhenFedRecordedNetworkActions() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(REFERENCE), "shared folder absent: " + SHARED);
        JsonNode root = JSON.readTree(REFERENCE.resolve("singleagent_trajectories_centre_spawn.json").toFile());
        assertEquals(6, root.get("episodes").size());
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(EnvConfig.evaluation(Mode.EVAL, 1))) {
            for (JsonNode e : root.get("episodes")) {
                String imageFile = e.get("image_file").asText() + ".nii.gz";
                String id = imageFile.substring(0, 15);
                int[][] landmarks = {landmarkRow(imageFile, 13)};
                assertArrayEquals(ints(e.get("landmark_xyz")), landmarks[0], id);
                env.reset(volume(imageFile), landmarks, Spawn.fixed(new double[][]{doubles(e.get("spawn_fraction"))}), null);
                assertArrayEquals(ints(e.get("start_xyz")), location(env, 0), id);
                JsonNode trajectory = e.get("trajectory");
                assertEquals(-1, trajectory.get(0).get("step").asInt());
                assertEquals(trajectory.get(0).get("obs_sha256_f32le").asText(), observationSha256(env, true), id);
                for (int k = 1; k < trajectory.size(); k++) {
                    JsonNode s = trajectory.get(k);
                    String at = id + " step " + s.get("step").asInt();
                    assertEquals(false, env.isOver(), at);
                    env.step(ints(s.get("action")), doubles(s.get("q_values")));
                    assertArrayEquals(ints(s.get("location_after").get(0)), location(env, 0), at + " location");
                    assertEquals(s.get("scale_after").asInt(), env.scale(), at + " scale");
                    assertEquals(s.get("reward").get(0).asDouble(), env.reward(0), TOLERANCE, at + " reward");
                    assertEquals(s.get("dist_after").get(0).asDouble(), env.distanceMm(0), TOLERANCE, at + " dist");
                    assertEquals(s.get("obs_sha256_f32le").asText(), observationSha256(env, true), at + " observation");
                }
                assertEquals(e.get("steps").asInt(), env.steps(), id);
                assertEquals(true, env.isOver(), id);
                assertArrayEquals(ints(e.get("final_xyz")), location(env, 0), id);
                assertEquals(e.get("distance_error_mm").asDouble(), env.distanceMm(0), TOLERANCE, id);
            }
        }
    }

    /** SHA-256 of the observation as the reference stores it: (agents, frames, x, y, z) or newest frames only. */
    static String observationSha256(LandmarkEnv env, boolean stacked) throws NoSuchAlgorithmException {
        ObservationLayout layout = env.layout();
        long bytes = stacked ? layout.batchEntryBytes() : layout.frameBytes() * env.agents();
        if (hashBuffer.capacity() < bytes) {
            hashBuffer = ByteBuffer.allocateDirect((int) bytes);
        }
        long dst = BufferUtil.address(hashBuffer);
        if (stacked) {
            try (NativeBlock canonical = NativeBlock.allocate(bytes, 64)) {
                env.frames().copyCanonicalTo(new FrameRing(canonical, 0, layout));
                UnsafeApi.copyMemory(canonical.address(), dst, bytes);
            }
        } else {
            for (int a = 0; a < env.agents(); a++) {
                UnsafeApi.copyMemory(env.frames().address() + env.frames().newestFrameOffset(a), dst + a * layout.frameBytes(),
                        layout.frameBytes());
            }
        }
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer view = hashBuffer.duplicate();
        view.position(0).limit((int) bytes);
        md.update(view);
        return HexFormat.of().formatHex(md.digest());
    }

    static Volume volume(String imageFile) {
        return VOLUMES.computeIfAbsent(imageFile, f -> NiftiReader.load(BRAIN.resolve("images").resolve(f)));
    }

    /** Row {@code id} of the image's landmark file (x,y,z per line), rounded half to even (SPEC.md section 2). */
    static int[] landmarkRow(String imageFile, int id) throws IOException {
        List<String> images = Files.readAllLines(BRAIN.resolve("image_files.txt"));
        List<String> marks = Files.readAllLines(BRAIN.resolve("landmark_files.txt"));
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i).trim().endsWith("/" + imageFile)) {
                String row = Files.readAllLines(BRAIN.resolve(marks.get(i).trim())).get(id);
                String[] p = row.split(",");
                return new int[]{(int) Math.rint(Double.parseDouble(p[0].trim())),
                        (int) Math.rint(Double.parseDouble(p[1].trim())), (int) Math.rint(Double.parseDouble(p[2].trim()))};
            }
        }
        throw new IllegalArgumentException("image " + imageFile + " not in image_files.txt");
    }

    static int[] location(LandmarkEnv env, int a) {
        return new int[]{env.location(a, 0), env.location(a, 1), env.location(a, 2)};
    }

    static int[] movedLocation(LandmarkEnv env, int a) {
        return new int[]{env.movedLocation(a, 0), env.movedLocation(a, 1), env.movedLocation(a, 2)};
    }

    static int[] roi(LandmarkEnv env, int a) {
        RoiWindow w = env.window(a);
        return new int[]{w.lo(0), w.hi(0), w.lo(1), w.hi(1), w.lo(2), w.hi(2)};
    }

    static int[] ints(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    static double[] doubles(JsonNode n) {
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asDouble();
        }
        return out;
    }

    static double[][] doubles2(JsonNode n) {
        double[][] out = new double[n.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles(n.get(i));
        }
        return out;
    }

    static double[] flatten(JsonNode rows) {
        double[] out = new double[rows.size() * ObservationGeometry.ACTIONS];
        for (int a = 0; a < rows.size(); a++) {
            for (int k = 0; k < ObservationGeometry.ACTIONS; k++) {
                out[a * ObservationGeometry.ACTIONS + k] = rows.get(a).get(k).asDouble();
            }
        }
        return out;
    }
}
