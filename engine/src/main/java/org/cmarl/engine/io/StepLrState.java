package org.cmarl.engine.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.optim.lr_scheduler.StepLR.state_dict()} (PyTorch 1.13 key order), one param group:
 * <pre>
 * {'step_size': 100, 'gamma': 0.5, 'base_lrs': [0.001], 'last_epoch': 1, 'verbose': False, '_step_count': 2,
 *  '_get_lr_called_within_step': False, '_last_lr': [0.001]}
 * </pre>
 *
 * @param stepSize   epochs between two decays
 * @param gamma      decay factor
 * @param baseLr     learning rate at construction
 * @param lastEpoch  number of {@code scheduler.step()} calls so far
 * @param lastLr     learning rate after the last step
 */
public record StepLrState(long stepSize, double gamma, double baseLr, long lastEpoch, double lastLr) {

    /** The Python value {@code scheduler.state_dict()} would return ({@code _step_count} = lastEpoch + 1). */
    public LinkedHashMap<Object, Object> toPython() {
        LinkedHashMap<Object, Object> d = new LinkedHashMap<>();
        d.put("step_size", stepSize);
        d.put("gamma", gamma);
        d.put("base_lrs", new ArrayList<Object>(List.of(baseLr)));
        d.put("last_epoch", lastEpoch);
        d.put("verbose", false);
        d.put("_step_count", lastEpoch + 1);
        d.put("_get_lr_called_within_step", false);
        d.put("_last_lr", new ArrayList<Object>(List.of(lastLr)));
        return d;
    }

    /** @throws CheckpointException naming the missing or mistyped entry */
    public static StepLrState fromPython(Object value, Path file) throws CheckpointException {
        if (!(value instanceof Map<?, ?> d)) {
            throw new CheckpointException(file, "scheduler state_dict is a " + PyValues.typeName(value)
                    + ", expected a dict");
        }
        // every value is checked: --resume continues from them (a NaN gamma or lr would train on NaN)
        return new StepLrState(
                PyValues.integer(d.get("step_size"), file, "scheduler 'step_size'", 1, Integer.MAX_VALUE),
                PyValues.finiteReal(d.get("gamma"), file, "scheduler 'gamma'", Double.MIN_VALUE, Double.MAX_VALUE),
                firstReal(d, "base_lrs", file, Double.MIN_VALUE),
                PyValues.integer(d.get("last_epoch"), file, "scheduler 'last_epoch'", 0, Integer.MAX_VALUE),
                firstReal(d, "_last_lr", file, 0));
    }

    private static double firstReal(Map<?, ?> d, String key, Path file, double min) throws CheckpointException {
        if (d.get(key) instanceof List<?> l && l.size() == 1) {
            return PyValues.finiteReal(l.get(0), file, "scheduler '" + key + "'[0]", min, Double.MAX_VALUE);
        }
        throw new CheckpointException(file, "scheduler '" + key + "' is a " + PyValues.typeName(d.get(key))
                + ", expected a list of one float");
    }
}
