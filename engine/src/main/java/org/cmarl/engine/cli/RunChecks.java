package org.cmarl.engine.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.Precision;

/**
 * The flags of {@code --task train|eval|play} checked on their own and against each other, before any file is read
 * or folder created: a rejected command is a {@link BadInputException} and leaves {@code --log_dir} as it was.
 */
final class RunChecks {
    private RunChecks() {
    }

    /**
     * Every check that needs the flags alone: file list counts, landmark ids, spawns, {@code --load} /
     * {@code --resume} against the task, the log folder, the published flags this engine refuses.
     *
     * @return the spawns of the runs ({@code --fixed_spawn} triples, else one random spawn)
     */
    static List<Spawn> flags(RunOptions o) {
        Mode mode = o.task;
        String task = EnumFlags.task(mode);
        int needLists = mode == Mode.PLAY ? 1 : 2;
        if (o.files.size() != needLists && !(mode == Mode.PLAY && o.files.size() == 2)) {
            throw new BadInputException("--task " + task + " needs --files IMAGE_LIST" + (needLists == 2
                    ? " LANDMARK_LIST" : "") + ", got " + o.files.size() + " list" + (o.files.size() == 1 ? "" : "s"));
        }
        if (!o.valFiles.isEmpty() && o.valFiles.size() != 2) {
            throw new BadInputException("--val_files needs IMAGE_LIST LANDMARK_LIST, got " + o.valFiles.size()
                    + " list");
        }
        if (o.landmarks.isEmpty()) {
            throw new BadInputException("--landmarks needs at least one id (one agent per id)");
        }
        FlagChecks.landmarkIds("--landmarks", o.landmarks);
        List<Spawn> spawns = spawns(o.fixedSpawn);
        if (mode != Mode.TRAIN && o.resume != null) {
            throw new BadInputException("--resume continues a training run (--task train); --task " + task
                    + " takes the network to evaluate with --load");
        }
        if (mode != Mode.TRAIN && o.load == null) {
            throw new BadInputException("--task " + task + " needs --load CHECKPOINT (the network to evaluate)");
        }
        FlagChecks.common(o.threads, o.batchEpisodes, o.stepsPerEpisode);
        if (o.write || o.saveGif) {
            RunDirs.checkCreatable(o.logDir);
        }
        // no flag is accepted and then ignored: what the engine cannot do is refused before any work starts
        if (o.viz != 0) {
            throw new BadInputException("--viz " + o.viz + ": this engine has no on-screen viewer; drop --viz (or "
                    + "give 0) and use --saveGif for a GIF of every evaluation episode");
        }
        if (o.saveVideo) {
            throw new BadInputException("--saveVideo: this engine writes no videos; use --saveGif for a GIF of every "
                    + "evaluation episode");
        }
        if (o.recomputeRepeats && mode == Mode.TRAIN) {
            throw new BadInputException("--recompute_repeats applies to --task eval and play; training's validation "
                    + "always reuses repeated observations' Q-values (the same results)");
        }
        if (o.saveGif && mode == Mode.TRAIN) {
            throw new BadInputException("--saveGif records --task eval and play episodes; training has none to record "
                    + "(evaluate latest_dqn.pt with --task eval --saveGif)");
        }
        return spawns;
    }

    private static List<Spawn> spawns(List<Double> fixedSpawn) {
        if (fixedSpawn.isEmpty()) {
            return List.of(Spawn.random());
        }
        if (fixedSpawn.size() % 3 != 0) {
            throw new BadInputException("--fixed_spawn takes triples (x y z fractions), got " + fixedSpawn.size()
                    + " values");
        }
        List<Spawn> s = new ArrayList<>();
        for (int i = 0; i < fixedSpawn.size(); i += 3) {
            s.add(FlagChecks.spawn(fixedSpawn, i));
        }
        return s;
    }

    /** Parses a precision flag; {@code auto} says what it chose, in one line on {@code out}. */
    static Precision precision(String flag, String value, Device device, PrintStream out) {
        Precision.Choice c;
        try {
            c = Precision.choose(value, device, Precision.cpuFlags());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(flag + " " + value + " is not one of fp32, bf16, auto");
        }
        if (c.reason() != null) {
            out.println(flag.substring(2) + " " + c.reason().substring("precision ".length()));
        }
        return c.precision();
    }
}
