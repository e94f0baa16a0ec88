package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract for bad input: exit code 2, one line saying what is wrong, no stack trace. */
class MainTest {
    static final Path SHARED = Path.of(System.getProperty("rlm.shared.dir", "../shared"));

    record Outcome(int code, String out, String err) {
    }

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Outcome(code, out.toString(), err.toString());
    }

    static void assertOneLineError(Outcome o, String expectedStart) {
        assertEquals(2, o.code(), o.err());
        String first = o.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith(expectedStart), "first line was: " + first);
        assertTrue(!o.err().contains("\tat "), "stack trace printed: " + o.err());
    }

    @Test
    void shouldListChoicesWhenModelNameIsWrong() {
        Outcome o = run("--task", "eval", "--model_name", "ResNet");
        assertOneLineError(o, "rlm: Invalid value for option '--model_name': expected one of [CommNet, Network3d]");
    }

    @Test
    void shouldSuggestWhenFlagIsUnknown() {
        Outcome o = run("--taks", "eval");
        assertOneLineError(o, "rlm: Unknown options: '--taks', 'eval'");
        assertTrue(o.err().contains("--task"), o.err());
    }

    @Test
    void shouldRejectFixedSpawnWhenNotTriples(@TempDir Path dir) {
        Outcome o = run("--task", "eval", "--load", "x.pt", "--files", "a.txt", "b.txt", "--fixed_spawn", "0.5", "0.5",
                "--log_dir", dir.toString());
        assertOneLineError(o, "rlm: --fixed_spawn takes triples (x y z fractions), got 2 values");
    }

    @Test
    void shouldRejectWrongNumberOfListsWhenEvaluating(@TempDir Path dir) {
        Outcome o = run("--task", "eval", "--load", "x.pt", "--files", "a.txt", "--log_dir", dir.toString());
        assertOneLineError(o, "rlm: --task eval needs --files IMAGE_LIST LANDMARK_LIST, got 1 list");
    }

    @Test
    void shouldNameArchitectureWhenCheckpointDisagreesWithFlags(@TempDir Path dir) throws Exception {
        Path model = SHARED.resolve("models/BrainMRI/SingleAgent.pt");
        Outcome o = run("--task", "eval", "--load", model.toString(), "--model_name", "CommNet", "--landmarks", "13",
                "--files", "a.txt", "b.txt", "--log_dir", dir.toString());
        assertOneLineError(o, "rlm: " + model + ": this is a Network3d checkpoint (fc1.0.weight has 512 inputs), "
                + "--model_name CommNet given");
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing written for a rejected command");
        }
    }

    @Test
    void shouldNameAgentCountWhenCheckpointHasFewerAgents(@TempDir Path dir) {
        Path model = SHARED.resolve("models/BrainMRI/SingleAgent.pt");
        Outcome o = run("--task", "eval", "--load", model.toString(), "--model_name", "Network3d", "--landmarks", "13",
                "14", "--files", "a.txt", "b.txt", "--log_dir", dir.toString());
        assertOneLineError(o, "rlm: " + model + ": checkpoint has fc1.0..fc1.0 (1 agent), model has 2 agents");
    }

    @Test
    void shouldExitTwoWhenCheckpointFileIsNotPyTorch(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.pt"), "not a checkpoint");
        Outcome o = run("checkpoint", bad.toString());
        assertOneLineError(o, "rlm: " + bad + ": ");
    }

    @Test
    void shouldReportUnreadableImageWhenInfoGivenGarbage(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("x.nii"), "garbage");
        Outcome o = run("info", "--json", bad.toString());
        assertEquals(2, o.code());
        assertTrue(o.out().contains("\"file\" : \"" + bad + "\""), o.out());
        assertTrue(o.out().contains("\"error\""), o.out());
    }

    @Test
    void shouldPrintCheckpointJsonWhenAsked() {
        Outcome o = run("checkpoint", "--json", SHARED.resolve("models/BrainMRI/SingleAgent.pt").toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"format\":\"legacy\"") || o.out().contains("\"format\" : \"legacy\""), o.out());
        assertTrue(o.out().contains("981f828e6c104f0da97cb060dad2f37f37efa026e726fdcbb6e1ec73c7b0e1be"), o.out());
    }
}
