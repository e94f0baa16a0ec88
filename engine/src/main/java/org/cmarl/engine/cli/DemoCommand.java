package org.cmarl.engine.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.cmarl.engine.synth.SyntheticDataset;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.LandmarkSet;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rlm demo}: the whole engine on data it makes itself, with no download: synthetic phantoms, what the loader
 * sees in them, a short training run of one agent, and an evaluation of what it learned.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate synthetic data, load it and report what was found, train one agent briefly, plot "
                + "the run and evaluate the result with episode GIFs. Everything goes under --out.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "demo-output", paramLabel = "DIR",
            description = "Folder for the data and runs. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--episodes", defaultValue = "12", description = "Training episodes (0: no training). "
            + "Default: ${DEFAULT-VALUE}.")
    int episodes;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the data and the run. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (episodes < 0) {
            throw new BadInputException("--episodes " + episodes + " must be 0 or more");
        }
        PrintWriter o = spec.commandLine().getOut();
        Path data = out.resolve("synthetic");
        o.println("1. synthetic data: 4 training + 2 validation phantoms of 48^3 voxels, 4 landmarks each");
        SyntheticDataset.Result train = SyntheticDataset.generate(data.resolve("train"), 4, seed, 48);
        SyntheticDataset.Result val = SyntheticDataset.generate(data.resolve("val"), 2, seed + 1000, 48);
        o.println("   " + train.imageList() + "\n   " + val.imageList());

        o.println("2. what the engine loads (normalised to 0..255 between the 10th and 99th percentiles):");
        for (FileList.Pair p : FileList.pairs(train.imageList(), train.landmarkList())) {
            try (Volume v = NiftiReader.load(p.image())) {
                LandmarkSet l = LandmarkReader.read(p.landmarks(), FileType.BRAIN, v.voxelToPhysical());
                StringBuilder marks = new StringBuilder();
                for (int k = 0; k < l.count(); k++) {
                    int[] x = l.voxel(k, v);
                    marks.append(String.format(Locale.ROOT, " %d:(%d,%d,%d)", k, x[0], x[1], x[2]));
                }
                var s = v.stats();
                o.printf(Locale.ROOT, "   %-18s %dx%dx%d, %.1f mm, p10 %.2f p99 %.2f, normalised mean %.2f, landmarks%s%n",
                        p.image().getFileName(), v.nx(), v.ny(), v.nz(), v.spacingMm(0), s.p10(), s.p99(),
                        s.normalisedMean(), marks);
            }
        }
        o.flush();
        if (episodes <= 0) {
            return 0;
        }
        o.println("3. training one Network3d agent on landmark 1 (the large bright blob) for " + episodes
                + " episodes, with the settings of the learning test (CPU: a few minutes)");
        o.flush();
        Path runs = out.resolve("runs");
        int rc = Main.run(new String[]{"--task", "train", "--files", train.imageList().toString(),
                train.landmarkList().toString(), "--val_files", val.imageList().toString(),
                val.landmarkList().toString(), "--landmarks", "1", "--model_name", "Network3d", "--multiscale",
                "--max_episodes", Integer.toString(episodes), "--steps_per_episode", "30", "--memory_size", "100000",
                "--init_memory_size", "100", "--batch_size", "4", "--train_freq", "2", "--lr", "1e-3",
                "--discount", "0", "--delta", "0.05", "--target_update_freq", "8",
                "--log_dir", runs.toString(), "--log_comment", "-demo", "--write",
                "--seed", Long.toString(seed)}, o, spec.commandLine().getErr());
        if (rc != 0) {
            return rc;
        }
        Path runDir;
        try (var dirs = Files.list(runs)) {
            runDir = dirs.filter(d -> d.getFileName().toString().endsWith("-train-demo")).sorted()
                    .reduce((a, b) -> b).orElseThrow();
        }
        o.println("4. the training curve: " + runDir.resolve("progress.png"));
        o.flush();
        rc = Main.run(new String[]{"plot", runDir.toString()}, o, spec.commandLine().getErr());
        if (rc != 0) {
            return rc;
        }
        o.println("5. the trained agent on the validation phantoms from 4 fixed spawns, with a GIF per episode:");
        o.flush();
        rc = Main.run(new String[]{"--task", "eval", "--load", runDir.resolve("latest_dqn.pt").toString(),
                "--model_name", "Network3d", "--landmarks", "1", "--files", val.imageList().toString(),
                val.landmarkList().toString(), "--fixed_spawn", "0.25", "0.25", "0.25", "0.75", "0.75", "0.75",
                "--steps_per_episode", "30", "--saveGif", "--log_dir", runs.toString(), "--log_comment", "-demo", "--write",
                "--seed", Long.toString(seed)}, o, spec.commandLine().getErr());
        o.println();
        o.println("Everything is under " + out.toAbsolutePath() + ":");
        o.println("  synthetic/       the phantoms, landmark files and file lists");
        o.println("  " + out.relativize(runDir) + "/   logs.txt, progress.csv, progress.png, TensorBoard events, "
                + "latest_dqn.pt, best_dqn.pt, latest_checkpoint.pt, report.html");
        o.println("  runs/*-eval-demo/ results.csv, gifs/ and report.html of the evaluation (open it in a browser)");
        o.flush();
        return rc;
    }
}
