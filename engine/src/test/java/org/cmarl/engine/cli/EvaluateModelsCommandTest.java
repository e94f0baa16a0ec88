package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.io.PtWriter;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two freshly initialised networks (their distances are whatever they are) on synthetic images, one spawn. */
class EvaluateModelsCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run rlm(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static Path save(Path file, Architecture arch, int agents, long seed) throws IOException {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(arch, agents), seed, Device.CPU)) {
            PtWriter.writeStateDict(file, net.stateDict());
        }
        return file;
    }

    /** Column {@code name} of a CSV as doubles. */
    static double[] column(Path csv, String name) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.get(0).split(","));
        int c = header.indexOf(name);
        assertTrue(c >= 0, name + " in " + header);
        // rows come in completion order: sorted by their number here
        return lines.stream().skip(1).map(l -> l.split(","))
                .sorted(java.util.Comparator.comparingInt((String[] f) -> Integer.parseInt(f[0])))
                .mapToDouble(f -> Double.parseDouble(f[c])).toArray();
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double sampleStd(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    @Test
    void shouldSummariseEachModelPerLandmarkFromItsOwnResultsWhenTwoModelsAreGiven() throws IOException {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data"), 2, 3, 48);
        Path single = save(dir.resolve("single.pt"), Architecture.NETWORK3D, 1, 1);
        Path comm = save(dir.resolve("comm.pt"), Architecture.COMMNET, 2, 2);
        Path logs = dir.resolve("runs");
        Run r = rlm(List.of("evaluate-models", "--files", data.imageList().toString(), data.landmarkList().toString(),
                "--model", single.toString(), "--model_name", "Network3d", "--landmarks", "1",
                "--model", comm.toString(), "--landmarks", "0", "3", "--label", "two agents",
                "--fixed_spawn", "0.5", "0.5", "0.5", "0.25", "0.75", "0.5", "--steps_per_episode", "3",
                "--device", "cpu", "--log_dir", logs.toString()));
        assertEquals(0, r.exit(), r.err());
        Path runDir;
        try (Stream<Path> s = Files.list(logs)) {
            runDir = s.findFirst().orElseThrow();
        }
        Path singleCsv = runDir.resolve("results_1_single.csv");
        Path commCsv = runDir.resolve("results_2_two_agents.csv");
        assertEquals(4, Files.readAllLines(singleCsv).size() - 1, "2 images x 2 spawns");
        List<String> summary = Files.readAllLines(runDir.resolve("summary.csv"));
        assertEquals(EvaluateModelsCommand.CSV_HEADER, summary.get(0));
        // Oracle: mean and sample std of the per-episode distances each model's results CSV holds.
        List<String> expected = new ArrayList<>();
        double[] d = column(singleCsv, "Distance 0");
        expected.add("single," + single + ",Network3d,brain,0,1,4," + mean(d) + "," + sampleStd(d));
        expected.add("single," + single + ",Network3d,brain,all,all,4," + mean(d) + "," + sampleStd(d));
        double[] d0 = column(commCsv, "Distance 0");
        double[] d1 = column(commCsv, "Distance 1");
        double[] both = new double[8];
        for (int i = 0; i < 4; i++) {
            both[2 * i] = d0[i];
            both[2 * i + 1] = d1[i];
        }
        expected.add("two_agents," + comm + ",CommNet,brain,0,0,4," + mean(d0) + "," + sampleStd(d0));
        expected.add("two_agents," + comm + ",CommNet,brain,1,3,4," + mean(d1) + "," + sampleStd(d1));
        expected.add("two_agents," + comm + ",CommNet,brain,all,all,4," + mean(both) + "," + sampleStd(both));
        assertEquals(expected.size(), summary.size() - 1);
        for (int i = 0; i < expected.size(); i++) {
            String[] want = expected.get(i).split(",");
            String[] got = summary.get(i + 1).split(",");
            for (int c = 0; c < 7; c++) {
                assertEquals(want[c], got[c], summary.get(i + 1));
            }
            assertEquals(Double.parseDouble(want[7]), Double.parseDouble(got[7]), 1e-9, summary.get(i + 1));
            assertEquals(Double.parseDouble(want[8]), Double.parseDouble(got[8]), 1e-9, summary.get(i + 1));
        }
        // The landmark each agent was evaluated on is the id given (synthetic files hold integer voxels).
        // (row number 2 is the first image: the published order plays it last)
        assertEquals(data.landmarkVoxels().get(0)[3][0], (int) column(commCsv, "Landmark 1 pos x")[1]);
        assertTrue(r.out().contains(String.format("%-10s  %-9s  %8s  %8s  %9.3f", "two_agents", "CommNet", "3", "4",
                mean(d1))), r.out());
    }

    @Test
    void shouldFailBeforeLoadingImagesWhenCheckpointAgentCountDisagreesWithLandmarks() throws IOException {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data"), 1, 3, 48);
        Path comm = save(dir.resolve("comm.pt"), Architecture.COMMNET, 2, 2);
        Run r = rlm(List.of("evaluate-models", "--files", data.imageList().toString(), data.landmarkList().toString(),
                "--model", comm.toString(), "--landmarks", "0", "1", "2", "--device", "cpu",
                "--log_dir", dir.resolve("runs").toString()));
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("rlm: " + comm + ": "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(Files.notExists(dir.resolve("runs")), "nothing written before the checks pass");
    }

    @Test
    void shouldCreateNoRunFolderWhenASecondModelsLandmarkIsBeyondTheFile() throws IOException {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data-beyond"), 1, 3, 32);
        Path one = save(dir.resolve("one.pt"), Architecture.NETWORK3D, 1, 1);
        Path runs = dir.resolve("runs-beyond");
        Run r = rlm(List.of("evaluate-models", "--files", data.imageList().toString(), data.landmarkList().toString(),
                "--model", one.toString(), "--model_name", "Network3d", "--landmarks", "0",
                "--model", one.toString(), "--model_name", "Network3d", "--landmarks", "9",
                "--fixed_spawn", "0.5", "0.5", "0.5", "--steps_per_episode", "2", "--device", "cpu",
                "--log_dir", runs.toString()));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("rlm: landmark file "), r.err());
        assertTrue(r.err().contains("landmark id 9"), r.err());
        // the first model's evaluation did not start: no run folder with its results
        assertTrue(Files.notExists(runs), "nothing written before every model's landmarks are read");
    }

    @Test
    void shouldUseTwentySevenSpawnsWhenNoneAreGiven() {
        List<Spawn> spawns = EvaluateModelsCommand.defaultSpawns();
        assertEquals(27, spawns.size());
        assertEquals(Spawn.fixed(0.25, 0.25, 0.25).toString(), spawns.get(0).toString());
        assertEquals(Spawn.fixed(0.25, 0.25, 0.5).toString(), spawns.get(1).toString());
        assertEquals(Spawn.fixed(0.75, 0.75, 0.75).toString(), spawns.get(26).toString());
    }
}
