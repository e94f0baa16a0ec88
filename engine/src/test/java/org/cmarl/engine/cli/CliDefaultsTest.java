package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.train.TrainConfig;
import org.cmarl.engine.volume.FileType;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The help texts spell the published defaults as the published DQN.py does ("1e5", "1e-3"); the domain classes hold
 * them as numbers ({@link TrainConfig#defaults()}, {@link EnvConfig#DEFAULT_MAX_STEPS_PER_EPISODE}). Both must say
 * the same: a command line without flags trains with exactly the domain defaults.
 */
class CliDefaultsTest {
    private static RunOptions parse(String... args) {
        RunOptions o = new RunOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void shouldTrainWithTheDomainDefaultsWhenNoFlagIsGiven() {
        RunOptions o = parse();
        NetworkConfig net = new NetworkConfig(o.modelName, o.landmarks.size(), o.attention, false);
        TrainConfig fromFlags = TrainingRun.config(o, net, Device.CPU, 0);
        // describe() lists every setting (logs.txt): one comparison covers all of them
        assertEquals(TrainConfig.defaults().describe(), fromFlags.describe());
        assertEquals(TrainConfig.MIN_EPSILON, fromFlags.minEpsilon());
    }

    @Test
    void shouldUseThePublishedStepCapWhenNoCommandSetsIt() {
        assertEquals(EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, TrainConfig.defaults().stepsPerEpisode());
        assertEquals(EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, parse().stepsPerEpisode);
        EvaluateModelsCommand models = new EvaluateModelsCommand();
        new CommandLine(models).parseArgs("--files", "a", "b", "--model", "m.pt", "--landmarks", "1");
        assertEquals(EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, models.stepsPerEpisode);
    }

    @Test
    void shouldMapThePublishedSpellingsOntoTheDomainEnumsWhenParsing() {
        RunOptions o = parse();
        assertEquals(Mode.TRAIN, o.task);
        assertEquals(FileType.BRAIN, o.fileType);
        assertEquals(TeamReward.NONE, o.teamReward);
        o = parse("--task", "play", "--model_name", "Network3d", "--file_type", "fetal", "--team_reward", "attention");
        assertEquals(Mode.PLAY, o.task);
        assertEquals(TrainConfig.defaults().architecture(), parse().modelName);
        assertEquals(org.cmarl.engine.nn.Architecture.NETWORK3D, o.modelName);
        assertEquals(FileType.FETAL, o.fileType);
        assertEquals(TeamReward.ATTENTION, o.teamReward);
        assertEquals(List.of("play", "eval", "train"), names("--task"));
        assertEquals(List.of("CommNet", "Network3d"), names("--model_name"));
        assertEquals(List.of("brain", "cardiac", "fetal"), names("--file_type"));
        assertEquals(List.of("mean", "attention"), names("--team_reward"));
    }

    private static List<String> names(String option) {
        List<String> names = new java.util.ArrayList<>();
        new CommandLine(new RunOptions()).getCommandSpec().findOption(option).completionCandidates()
                .forEach(names::add);
        return names;
    }
}
