package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.report.RunReport;
import org.cmarl.engine.train.TrainConfig;
import org.cmarl.engine.train.Trainer;
import org.cmarl.engine.train.TrainingCheckpoints;
import org.cmarl.engine.train.TrainingLog;

/**
 * {@code --task train} wired up: the flags as a {@link TrainConfig}, then a {@link Trainer} with its log, its start
 * weights (or the run it resumes), its group in a multi-process run and a stop on SIGINT / SIGTERM.
 */
final class TrainingRun {
    private final RunOptions o;
    private final PrintStream out;
    private final String commandLine;

    TrainingRun(RunOptions options, PrintStream out, String commandLine) {
        this.o = options;
        this.out = out;
        this.commandLine = commandLine;
    }

    /** The training settings of the flags, checked against each other before anything is loaded or created. */
    static TrainConfig config(RunOptions o, NetworkConfig netConfig, Device device, long seed) {
        try {
            return TrainConfig.builder()
                    .architecture(netConfig.architecture())
                    .landmarks(o.landmarks.stream().mapToInt(Integer::intValue).toArray())
                    .commAttention(o.attention)
                    .teamReward(o.teamReward)
                    .batchSize(o.batchSize)
                    .memorySize(o.memorySize)
                    .initMemorySize(o.initMemorySize)
                    .discount(o.discount)
                    .learningRate(o.lr)
                    .schedulerGamma(o.schedulerGamma)
                    .schedulerStepSize(o.schedulerStepSize)
                    .maxEpisodes(o.maxEpisodes)
                    .stepsPerEpisode(o.stepsPerEpisode)
                    .targetUpdateFreq(o.targetUpdateFreq)
                    .epsilonDelta(o.delta)
                    .multiscale(o.multiscale)
                    .trainFreq(o.trainFreq)
                    .seed(seed)
                    .device(device)
                    .microBatch(o.microBatch)
                    .numEnvs(o.numEnvs)
                    .validationBatchEpisodes(o.batchEpisodes == null ? 0 : o.batchEpisodes)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /**
     * Trains until {@code --max_episodes} or a stop signal.
     *
     * @param config   with the run folder, or none (no {@code --write}, or a rank other than 0)
     * @param weights  {@code --load}'s weights, or null
     * @param resume   {@code --resume}'s checkpoint, or null
     * @param group    the ranks of a multi-process run, or null
     * @return 0, or {@link RunCommand#EXIT_INTERRUPTED} when stopped by a signal (the checkpoint was saved)
     */
    int run(TrainConfig config, List<LabelledImage> images, List<LabelledImage> validation,
            Map<String, TensorData> weights, Checkpoint resume, DistributedGroup group,
            Precision acting, Precision learning) throws IOException {
        Path runDir = config.runDir();
        boolean writer = group == null || group.rank() == 0;
        try (TrainingLog log = writer ? new TrainingLog(runDir, commandLine, config, out, true)
                : TrainingLog.silent(config);
             Trainer trainer = new Trainer(config, images, validation, log)) {
            trainer.saveEvery(o.saveFreq);
            trainer.online().setPrecision(acting);
            trainer.online().setTrainingPrecision(learning);
            trainer.target().setTrainingPrecision(learning);
            if (resume != null) {
                TrainingCheckpoints.resume(resume, trainer);
                log.note("resumed from " + o.resume + " at episode " + trainer.state().episode() + ", epoch "
                        + trainer.state().epoch());
            } else if (weights != null) {
                trainer.online().loadStateDict(weights);
                trainer.target().copyWeightsFrom(trainer.online());
            }
            if (group != null) {
                trainer.joinGroup(group);
                log.note(String.format(Locale.ROOT, "data-parallel: %d ranks (c10d %s), global batch %d x %d = %d"
                                + " transitions per update; episodes, epochs, epsilon, target syncs and the LR"
                                + " schedule count over all ranks", group.worldSize(), group.backendName(),
                        group.worldSize(), config.batchSize(), group.worldSize() * config.batchSize()));
            }
            boolean finished;
            try (StopOnSignal hook = new StopOnSignal(trainer, StopOnSignal.DEFAULT_WAIT_SECONDS, out)) {
                finished = trainer.train();
                hook.trainingReturned();
            }
            // console only: logs.txt stays free of times so that two seeded runs write identical logs
            out.println(trainer.phaseTimes().summary());
            if (runDir != null) {
                out.println("report: " + RunReport.write(runDir));
            }
            if (!finished) {
                return RunCommand.EXIT_INTERRUPTED;
            }
            if (group != null) {
                group.barrier(); // no rank leaves (closing its connections) while another still works
            }
            log.note("done: " + trainer.state().episode() + " episodes");
            if (runDir != null) {
                out.println("run folder: " + runDir);
            }
        }
        return 0;
    }
}
