package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;

import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.PtWriter;
import org.cmarl.engine.io.StepLrState;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.io.TrainingCheckpoint;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every check of {@code --task train|eval} runs before the run folder is created: a rejected command prints one line,
 * exits with 2 and leaves {@code --log_dir} exactly as it was. Each flag, file and checkpoint below is one such check
 * (each was once accepted, or rejected only after the run folder existed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunInputCheckTest {
    @TempDir
    static Path dir;
    private SyntheticDataset.Result data;
    private Path nanWeights;
    private Path goodWeights;
    private Path badOptimiser;
    private Path nanEps;
    private Path negativeEpisode;
    private Path landmarkOutsideList;
    private Path brokenImageList;
    private Path brokenImage;
    private Path folderAsLandmarkList;

    @BeforeAll
    void files() throws IOException {
        data = SyntheticDataset.generate(dir.resolve("data"), 2, 3, 32);
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        LinkedHashMap<String, TensorData> weights;
        int parameters;
        try (QNetwork net = QNetwork.create(config, 1, Device.CPU)) {
            weights = net.stateDict();
            parameters = net.parameterNames().size();
        }
        goodWeights = dir.resolve("good.pt");
        PtWriter.writeStateDict(goodWeights, weights);
        LinkedHashMap<String, TensorData> nan = new LinkedHashMap<>(weights);
        String first = nan.keySet().iterator().next();
        TensorData t = nan.get(first);
        byte[] bytes = t.data().clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * 3, Float.NaN);
        nan.put(first, new TensorData(t.dtype(), t.shape(), bytes));
        nanWeights = dir.resolve("nan.pt");
        PtWriter.writeStateDict(nanWeights, nan);

        // an optimiser state of 3 parameters for a network of many
        List<AdamState.ParamState> three = new ArrayList<>();
        TensorData one = new TensorData(DType.FLOAT32, new long[]{1}, new byte[4]);
        for (int i = 0; i < 3; i++) {
            three.add(new AdamState.ParamState(1f, one, one));
        }
        assertTrue(parameters > 3);
        badOptimiser = trainingCheckpoint("bad-optimiser.pt", weights,
                new AdamState(three, AdamState.defaultHyperparameters(1e-3, 1e-3)), 2, 0.5);
        List<AdamState.ParamState> fresh = new ArrayList<>();
        for (int i = 0; i < parameters; i++) {
            fresh.add(null);
        }
        AdamState freshAdam = new AdamState(fresh, AdamState.defaultHyperparameters(1e-3, 1e-3));
        nanEps = trainingCheckpoint("nan-eps.pt", weights, freshAdam, 2, Double.NaN);
        negativeEpisode = trainingCheckpoint("negative-episode.pt", weights, freshAdam, -2, 0.5);

        // landmark 0 of the first image moved to (1000, 1000, 1000): outside the 32^3 image
        Path outside = dir.resolve("outside.txt");
        Files.writeString(outside, "1000,1000,1000\n1,1,1\n2,2,2\n3,3,3\n");
        landmarkOutsideList = dir.resolve("landmarks-outside.txt");
        Files.writeString(landmarkOutsideList, outside + "\n" + data.landmarks().get(1) + "\n");

        // the second image truncated half-way
        brokenImage = dir.resolve("broken.nii.gz");
        byte[] image = Files.readAllBytes(data.images().get(1));
        Files.write(brokenImage, Arrays.copyOf(image, image.length / 2));
        brokenImageList = dir.resolve("images-broken.txt");
        Files.writeString(brokenImageList, data.images().get(0) + "\n" + brokenImage + "\n");

        folderAsLandmarkList = Files.createDirectories(dir.resolve("a-folder"));
    }

    private Path trainingCheckpoint(String name, LinkedHashMap<String, TensorData> weights, AdamState adam,
                                    long episode, double eps) throws IOException {
        StepLrState scheduler = new StepLrState(100, 0.5, 1e-3, 0, 1e-3);
        Path file = dir.resolve(name);
        PtWriter.write(file, new TrainingCheckpoint(weights, weights, adam.toPython(), scheduler.toPython(), episode,
                eps, 0).toPython());
        return file;
    }

    /** The tiny training run's flags with {@code extra} replacing or adding flags (as TinyRun does). */
    private String[] train(Path logDir, String... extra) {
        LinkedHashMap<String, List<String>> flags = new LinkedHashMap<>();
        parse(flags, List.of("--task", "train", "--files", data.imageList().toString(),
                data.landmarkList().toString(), "--landmarks", "0", "--model_name", "Network3d", "--max_episodes", "4",
                "--steps_per_episode", "6", "--memory_size", "200", "--init_memory_size", "6", "--batch_size", "2",
                "--train_freq", "3", "--target_update_freq", "2", "--delta", "0.2", "--seed", "5", "--device", "cpu",
                "--log_dir", logDir.toString(), "--write"));
        parse(flags, Arrays.asList(extra));
        List<String> a = new ArrayList<>();
        flags.forEach((flag, values) -> {
            a.add(flag);
            a.addAll(values);
        });
        return a.toArray(String[]::new);
    }

    private static void parse(LinkedHashMap<String, List<String>> flags, List<String> args) {
        List<String> values = null;
        for (String s : args) {
            if (s.startsWith("--") && !s.matches("--?[0-9.]+")) {
                values = new ArrayList<>();
                flags.put(s, values);
            } else {
                values.add(s);
            }
        }
    }

    Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of(List.of("--scheduler_gamma", "NaN"), "--scheduler_gamma NaN is outside (0, 1]"),
                Arguments.of(List.of("--scheduler_gamma", "-0.5"), "--scheduler_gamma -0.5 is outside (0, 1]"),
                Arguments.of(List.of("--delta", "NaN"), "--delta NaN is outside [0, 1]"),
                Arguments.of(List.of("--delta", "-1"), "--delta -1.0 is outside [0, 1]"),
                Arguments.of(List.of("--lr", "Infinity"), "--lr Infinity must be a positive number"),
                Arguments.of(List.of("--discount", "NaN"), "--discount NaN is outside [0, 1]"),
                Arguments.of(List.of("--threads", "0"), "--threads 0 must be 1..4096"),
                Arguments.of(List.of("--threads", "-1"), "--threads -1 must be 1..4096"),
                Arguments.of(List.of("--batch_episodes", "0"), "--batch_episodes 0 must be 1..65536"),
                Arguments.of(List.of("--steps_per_episode", "0"), "--steps_per_episode 0 must be at least 1"),
                Arguments.of(List.of("--scheduler_step_size", "0"), "--scheduler_step_size 0 must be at least 1"),
                Arguments.of(List.of("--micro_batch", "-1"), "--micro_batch -1 must be 0 (automatic) or positive"),
                Arguments.of(List.of("--num_envs", "0"), "--num_envs 0 must be 1..256"),
                // 256 environments x 6 agents x 1,458,000 bytes of float32 observations each
                Arguments.of(List.of("--num_envs", "256", "--landmarks", "0", "0", "0", "0", "0", "0"),
                        "--num_envs 256 with 6 agents needs 2239488000 bytes of acting input, the limit is "
                                + "2147483647: at most --num_envs 245 with 6 agents"),
                Arguments.of(List.of("--viz", "NaN"), "--viz NaN: this engine has no on-screen viewer"),
                Arguments.of(List.of("--device", "tpu"), "--device 'tpu' is unknown, expected cpu, cuda or auto"),
                Arguments.of(List.of("--fixed_spawn", "NaN", "0.5", "0.5"),
                        "--fixed_spawn value NaN (triple 1, x) is outside [0, 1]"),
                // (1e9 + 4) records of 16 + 16 bytes
                Arguments.of(List.of("--memory_size", "1e9"), "--memory_size 1000000000 needs 32000000128 bytes "
                        + "(32.0 GB) of replay memory with 1 agent ((1000000000 + 4) transitions x 32 bytes); the "
                        + "limit is 2147483647 bytes: at most --memory_size 67108859 with 1 agent"),
                Arguments.of(List.of("--memory_size", "6e7", "--init_memory_size", "6e7", "--batch_size", "6e7"),
                        "--batch_size 60000000 needs 27337500000000 bytes"),
                Arguments.of(List.of("--attention"), "communication attention (--attention) needs CommNet, got "
                        + "Network3d"),
                Arguments.of(List.of("--landmarks", "-1"), "--landmarks -1: landmark ids are rows of the landmark "
                        + "file, counted from 0"),
                Arguments.of(List.of("--landmarks", "99"), "landmark file "),
                Arguments.of(List.of("--landmarks", "0", "4"), "landmark file "));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void shouldRejectBeforeCreatingAnythingWhenAFlagIsInvalid(List<String> flags, String message) throws IOException {
        Path logDir = existingLogDir("flags-" + String.join("_", flags).replaceAll("[^A-Za-z0-9._-]", "_"));
        MainTest.Outcome o = MainTest.run(train(logDir, flags.toArray(String[]::new)));
        MainTest.assertOneLineError(o, "rlm: " + message);
        assertFalse(o.err().contains("capacityTransitions"), o.err());
        assertUnchanged(logDir);
    }

    Stream<Arguments> rejectedFiles() {
        return Stream.of(
                Arguments.of("a NaN weight in --load", List.of("--load", "NAN"), "NAN: --load tensor "),
                Arguments.of("an optimiser state of 3 parameters on --resume", List.of("--resume", "BAD_OPTIMISER"),
                        "BAD_OPTIMISER: optimiser state does not fit the network: optimiser state has 3 parameters"),
                Arguments.of("eps NaN on --resume", List.of("--resume", "NAN_EPS"),
                        "NAN_EPS: 'eps' is NaN, expected a finite value in [0.0, 1.0]"),
                Arguments.of("episode -2 on --resume", List.of("--resume", "NEGATIVE_EPISODE"),
                        "NEGATIVE_EPISODE: 'episode' is -2, expected 0 to 2147483647"),
                Arguments.of("a state_dict as --resume", List.of("--resume", "GOOD"), "--resume GOOD is a bare "
                        + "state_dict"),
                Arguments.of("a landmark outside its image", List.of("--files", "IMAGES", "LANDMARKS_OUTSIDE"),
                        "landmark file OUTSIDE: landmark 0 at voxel"),
                Arguments.of("a truncated image in the list", List.of("--files", "IMAGES_BROKEN", "LANDMARKS"),
                        "BROKEN: "),
                Arguments.of("a folder as the landmark list", List.of("--files", "IMAGES", "FOLDER"),
                        "file list FOLDER: is a folder, not a file"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedFiles")
    void shouldRejectBeforeCreatingAnythingWhenAFileIsUnusable(String what, List<String> flags, String message)
            throws IOException {
        Path logDir = existingLogDir("files-" + what.replaceAll("[^A-Za-z0-9._-]", "_"));
        String[] extra = flags.stream().map(this::file).toArray(String[]::new);
        MainTest.Outcome o = MainTest.run(train(logDir, extra));
        MainTest.assertOneLineError(o, "rlm: " + file(message));
        assertUnchanged(logDir);
    }

    @Test
    void shouldNotCreateLogDirWhenRejected() {
        Path logDir = dir.resolve("not-yet").resolve("runs");
        MainTest.Outcome o = MainTest.run(train(logDir, "--delta", "-1"));
        MainTest.assertOneLineError(o, "rlm: --delta -1.0");
        assertFalse(Files.exists(logDir.getParent()), "nothing created for a rejected command");
    }

    @Test
    void shouldRejectLogDirWhenItIsAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("log-dir-file"), "x");
        MainTest.Outcome o = MainTest.run(train(file.resolve("runs")));
        MainTest.assertOneLineError(o, "rlm: --log_dir " + file.resolve("runs") + ": " + file + " is not a folder");
    }

    @Test
    void shouldRejectBatchEpisodesBeforeCreatingAnythingWhenEvaluating() throws IOException {
        Path logDir = existingLogDir("eval-batch-episodes");
        MainTest.Outcome o = MainTest.run("--task", "eval", "--load", goodWeights.toString(), "--model_name",
                "Network3d", "--landmarks", "0", "--files", data.imageList().toString(),
                data.landmarkList().toString(), "--batch_episodes", "0", "--device", "cpu", "--log_dir",
                logDir.toString(), "--write");
        MainTest.assertOneLineError(o, "rlm: --batch_episodes 0 must be 1..65536");
        assertUnchanged(logDir);
    }

    private String file(String s) {
        return s.replace("BAD_OPTIMISER", badOptimiser.toString()).replace("NAN_EPS", nanEps.toString())
                .replace("NEGATIVE_EPISODE", negativeEpisode.toString()).replace("NAN", nanWeights.toString())
                .replace("GOOD", goodWeights.toString())
                .replace("LANDMARKS_OUTSIDE", landmarkOutsideList.toString())
                .replace("IMAGES_BROKEN", brokenImageList.toString()).replace("BROKEN", brokenImage.toString())
                .replace("IMAGES", data.imageList().toString()).replace("LANDMARKS", data.landmarkList().toString())
                .replace("OUTSIDE", dir.resolve("outside.txt").toString())
                .replace("FOLDER", folderAsLandmarkList.toString());
    }

    /** A log folder holding one file, as a user's runs/ folder would. */
    private static Path existingLogDir(String name) throws IOException {
        Path logDir = Files.createDirectories(dir.resolve("logs").resolve(name));
        Files.writeString(logDir.resolve("earlier-run.txt"), "kept");
        return logDir;
    }

    private static void assertUnchanged(Path logDir) throws IOException {
        try (Stream<Path> s = Files.list(logDir)) {
            assertEquals(List.of(logDir.resolve("earlier-run.txt")), s.toList(), "nothing created in " + logDir);
        }
    }
}
