package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.nn.FreePort;
import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-process runs through the real command line: {@code rlm launch} starting two child JVMs (one libtorch thread
 * each) that form a Gloo group over loopback, and ranks started by hand with the launchers' variables. One tiny
 * two-rank training run (before all) feeds the tests that need a checkpoint.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DataParallelRunTest {
    @TempDir
    static Path dir;
    private TinyRun tiny;
    private TinyRun.Outcome launched;
    private Path runDir;

    @BeforeAll
    void trainOnTwoRanks() throws IOException {
        tiny = new TinyRun(dir.resolve("data"));
        Path logs = dir.resolve("dp");
        launched = TinyRun.run(launch(2, tiny.args(logs, "--threads", "1", "--train_freq", "6",
                "--dist_timeout", "60")));
        assertEquals(0, launched.exitCode(), () -> "stderr: " + launched.err() + "\nstdout: " + launched.out());
        List<Path> folders = TinyRun.runFolders(logs);
        assertEquals(1, folders.size(), "rank 0 alone creates a run folder: " + folders);
        runDir = folders.get(0);
    }

    @Test
    void shouldWriteOneRunFolderAndCountGloballyWhenTrainedOnTwoRanks() throws IOException {
        assertTrue(launched.out().contains("[rank 0] ") && launched.out().contains("[rank 1] "), launched.out());
        String log = Files.readString(runDir.resolve("logs.txt"));
        assertTrue(log.contains("data-parallel: 2 ranks (c10d gloo), global batch 2 x 2 = 4 transitions per update"),
                log);
        // 2 images, 4 episodes: rounds of one episode per rank, counted globally -> epochs end at episodes 2 and 4
        List<String[]> rows = TinyRun.progressRows(runDir);
        assertEquals(2, rows.size());
        assertEquals("1", rows.get(0)[0]);
        assertEquals("2", rows.get(0)[1]);
        assertEquals("2", rows.get(1)[0]);
        assertEquals("4", rows.get(1)[1]);
        assertTrue(PtReader.read(runDir.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).isTrainingCheckpoint());
    }

    @Test
    void shouldCountGloballyWhenEachRankStepsItsOwnEnvironments() throws IOException {
        Path logs = dir.resolve("dp-envs");
        TinyRun.Outcome o = TinyRun.run(launch(2, tiny.args(logs, "--threads", "1", "--train_freq", "6",
                "--num_envs", "2", "--dist_timeout", "60")));
        assertEquals(0, o.exitCode(), () -> "stderr: " + o.err() + "\nstdout: " + o.out());
        Path run = TinyRun.runFolders(logs).get(0);
        assertTrue(Files.readString(run.resolve("logs.txt")).contains("num_envs=2"));
        // 2 ranks x 2 environments: the episodes ending in a step are counted one by one (rank order, then
        // environment order), so the epochs still end at the global episodes 2 and 4
        List<String[]> rows = TinyRun.progressRows(run);
        assertEquals(2, rows.size());
        assertEquals("2", rows.get(0)[1]);
        assertEquals("4", rows.get(1)[1]);
        // every iteration is 2 x 2 environment steps of the world
        assertEquals(0, Long.parseLong(rows.get(1)[2]) % 4, rows.get(1)[2]);
        assertTrue(Long.parseLong(rows.get(1)[2]) > 0);
    }

    @Test
    void shouldResumeInOneProcessWhenCheckpointCameFromTwoRanks() throws IOException {
        Path logs = dir.resolve("resumed");
        Path resumed = TinyRun.runOk(logs, tiny.args(logs, "--resume",
                runDir.resolve(TrainingCheckpoints.LATEST_CHECKPOINT).toString(), "--max_episodes", "6",
                "--train_freq", "6"));
        List<String[]> rows = TinyRun.progressRows(resumed);
        assertEquals("3", rows.get(rows.size() - 1)[0]);
        assertEquals("6", rows.get(rows.size() - 1)[1]);
    }

    @Test
    void shouldWriteTheOneProcessResultsWhenEvaluationIsShardedOverTwoRanks() throws IOException {
        SyntheticDataset.Result images = SyntheticDataset.generate(dir.resolve("eval-data"), 3, 21, 32);
        String weights = runDir.resolve(TrainingCheckpoints.LATEST_WEIGHTS).toString();
        List<String> eval = new ArrayList<>(List.of("--task", "eval", "--load", weights,
                "--files", images.imageList().toString(), images.landmarkList().toString(),
                "--landmarks", "0", "--model_name", "Network3d", "--steps_per_episode", "6", "--seed", "9",
                "--device", "cpu", "--threads", "1", "--batch_episodes", "2", "--write"));
        Path singleLogs = dir.resolve("eval1");
        List<String> single = new ArrayList<>(eval);
        single.addAll(List.of("--log_dir", singleLogs.toString()));
        TinyRun.Outcome one = TinyRun.run(single.toArray(String[]::new));
        assertEquals(0, one.exitCode(), one.err());
        Path singleRun = TinyRun.runFolders(singleLogs).get(0);
        Path shardedLogs = dir.resolve("eval2");
        List<String> sharded = new ArrayList<>(eval);
        sharded.addAll(List.of("--log_dir", shardedLogs.toString()));
        TinyRun.Outcome o = TinyRun.run(launch(2, sharded.toArray(String[]::new)));
        assertEquals(0, o.exitCode(), () -> "stderr: " + o.err() + "\nstdout: " + o.out());
        List<Path> folders = TinyRun.runFolders(shardedLogs);
        assertEquals(1, folders.size(), folders.toString());
        assertArrayEquals(Files.readAllBytes(singleRun.resolve("results.csv")),
                Files.readAllBytes(folders.get(0).resolve("results.csv")));
        assertTrue(o.out().contains("[rank 1] rank 1: 1 episodes evaluated, results sent to rank 0"), o.out());
        String summary = summaryLines(one.out(), "");
        assertTrue(summary.contains("agent 0: mean distance"), summary);
        assertEquals(summary, summaryLines(o.out(), "[rank 0] "));
    }

    @Test
    void shouldExitWithALineNamingTheRankWhenTheOtherRankIsKilled() throws Exception {
        int port = FreePort.find();
        Path logs = dir.resolve("killed");
        String[] args = tiny.args(logs, "--threads", "1", "--max_episodes", "1000", "--train_freq", "6",
                "--dist_timeout", "20");
        Path err0 = dir.resolve("rank0.err");
        Process rank0 = rank(0, port, args, err0);
        Process rank1 = rank(1, port, args, dir.resolve("rank1.err"));
        try {
            Path checkpoint = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (checkpoint == null && System.nanoTime() < deadline && rank0.isAlive()) {
                List<Path> folders = TinyRun.runFolders(logs);
                if (!folders.isEmpty() && Files.exists(folders.get(0).resolve(TrainingCheckpoints.LATEST_CHECKPOINT))) {
                    checkpoint = folders.get(0).resolve(TrainingCheckpoints.LATEST_CHECKPOINT);
                } else {
                    Thread.sleep(200);
                }
            }
            assertTrue(checkpoint != null, "rank 0 wrote no checkpoint: " + Files.readString(err0));
            rank1.destroyForcibly().waitFor();
            long killed = System.nanoTime();
            assertTrue(rank0.waitFor(20 + 15, TimeUnit.SECONDS), "rank 0 still running after the timeout");
            double seconds = (System.nanoTime() - killed) / 1e9;
            String err = Files.readString(err0);
            assertEquals(3, rank0.exitValue(), err);
            String line = err.lines().filter(l -> l.startsWith("rlm: rank 1 ")).findFirst().orElse("");
            assertTrue(line.startsWith("rlm: rank 1 unreachable") || line.startsWith("rlm: rank 1 timed out"), err);
            assertTrue(seconds < 20 + 15, "stopped after " + seconds + " s");
            assertTrue(PtReader.read(checkpoint).isTrainingCheckpoint());
        } finally {
            rank0.destroyForcibly();
            rank1.destroyForcibly();
        }
    }

    @Test
    void shouldRejectBadLauncherAndEnvironmentValuesWithOneLine() throws Exception {
        String[] run = tiny.args(dir.resolve("bad"));
        assertBad(TinyRun.run(launchWith(run, "--nproc_per_node", "0")), "rlm: --nproc_per_node 0, expected 1..1024");
        assertBad(TinyRun.run(launchWith(run, "--nproc_per_node", "2", "--nnodes", "2", "--node_rank", "2")),
                "rlm: --node_rank 2, expected 0..1 (--nnodes 2)");
        assertBad(TinyRun.run(launchWith(run, "--nproc_per_node", "2", "--master_port", "70000")),
                "rlm: --master_port 70000, expected 1..65535");
        assertBad(TinyRun.run("launch", "--nproc_per_node", "2"), "rlm: launch needs the run's flags after --, e.g."
                + " rlm launch --nproc_per_node 2 -- --task train --files images.txt landmarks.txt");
        assertBad(TinyRun.run(tiny.args(dir.resolve("bad"), "--dist_backend", "mpi")),
                "rlm: --dist_backend 'mpi', expected auto, gloo or nccl");
        // a bad variable from a launcher: one line, exit 2, nothing created
        ProcessBuilder pb = new ProcessBuilder(childCommand(tiny.args(dir.resolve("bad"))));
        pb.environment().put("RANK", "abc");
        pb.environment().put("WORLD_SIZE", "2");
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("rlm: environment variable RANK='abc' is not a whole number, expected 0..1", err.strip());
        // a failing rank's exit code comes back through the launcher, its line prefixed with its rank
        TinyRun.Outcome o = TinyRun.run(launch(2, tiny.args(dir.resolve("bad"), "--batch_size", "0")));
        assertEquals(2, o.exitCode(), o.err());
        assertTrue(o.err().contains("[rank 0] rlm: ") || o.err().contains("[rank 1] rlm: "), o.err());
        assertTrue(!Files.exists(dir.resolve("bad")), "a rejected run created its log folder");
    }

    @Test
    void shouldStopTheOtherRanksAndReturnTheCodeWhenOneLaunchedRankFails() throws Exception {
        // the store's port is taken: rank 0 cannot serve it and fails at once, rank 1 would wait 120 s for it
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            TinyRun.Outcome o = TinyRun.run(launchWith(tiny.args(dir.resolve("taken"), "--dist_timeout", "120"),
                    "--nproc_per_node", "2", "--master_port", Integer.toString(taken.getLocalPort())));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(3, o.exitCode(), o.err());
            assertTrue(o.err().contains("[rank 0] rlm: rank 0: cannot serve the c10d store at 127.0.0.1:"
                    + taken.getLocalPort()), o.err());
            assertTrue(o.err().contains("rlm launch: local rank 0 exited with code 3; stopping the other ranks"),
                    o.err());
            assertTrue(seconds < 60, "the launcher returned after " + seconds + " s: rank 1 was not stopped");
        }
    }

    private static void assertBad(TinyRun.Outcome o, String line) {
        assertEquals(2, o.exitCode(), o.err());
        assertEquals(line, o.err().strip());
    }

    /** The distance summary's lines of an evaluation's output, without the launcher's prefix. */
    private static String summaryLines(String out, String prefix) {
        StringBuilder b = new StringBuilder();
        for (String line : out.split("\n")) {
            String l = line.startsWith(prefix) ? line.substring(prefix.length()) : line;
            if (l.startsWith("agent ") || l.startsWith("all agents")) {
                b.append(l).append('\n');
            }
        }
        return b.toString();
    }

    private static String[] launch(int ranks, String... runArgs) {
        return launchWith(runArgs, "--nproc_per_node", Integer.toString(ranks), "--master_port",
                Integer.toString(FreePort.find()));
    }

    private static String[] launchWith(String[] runArgs, String... launchArgs) {
        List<String> a = new ArrayList<>(List.of("launch"));
        a.addAll(List.of(launchArgs));
        a.add("--");
        a.addAll(List.of(runArgs));
        return a.toArray(String[]::new);
    }

    /** A rank started by hand, as torchrun would: its own JVM with the launchers' variables. */
    private static Process rank(int rank, int port, String[] args, Path stderr) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(childCommand(args));
        pb.environment().put("RANK", Integer.toString(rank));
        pb.environment().put("WORLD_SIZE", "2");
        pb.environment().put("LOCAL_RANK", Integer.toString(rank));
        pb.environment().put("MASTER_ADDR", "127.0.0.1");
        pb.environment().put("MASTER_PORT", Integer.toString(port));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(stderr.toFile());
        return pb.start();
    }

    private static List<String> childCommand(String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-javaagent") && !a.startsWith("-agentlib")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(org.cmarl.engine.cli.Main.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
