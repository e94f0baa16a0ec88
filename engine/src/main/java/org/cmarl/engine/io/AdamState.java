package org.cmarl.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.optim.Adam.state_dict()} in typed form, to and from the Python layout PyTorch saves and loads:
 * <pre>
 * {'state': {0: {'step': tensor(7.), 'exp_avg': Tensor, 'exp_avg_sq': Tensor}, 1: {...}, ...},
 *  'param_groups': [{'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0, 'amsgrad': False,
 *                    'maximize': False, 'foreach': None, 'capturable': False, 'differentiable': False,
 *                    'fused': False, 'initial_lr': 0.001, 'params': [0, 1, ...]}]}
 * </pre>
 * Parameter {@code i} is the i-th tensor of the network's {@code parameters()} order, which is its state_dict order
 * for these networks (no buffers). {@code 'step'} is a float32 scalar tensor (PyTorch >= 1.12); {@code initial_lr}
 * is added by an attached LR scheduler. One parameter group, as the published trainer uses.
 *
 * @param params          per parameter, its moments; null for a parameter with no state yet (before the first step)
 * @param hyperparameters the param group without {@code 'params'}, in PyTorch's key order
 */
public record AdamState(List<ParamState> params, LinkedHashMap<String, Object> hyperparameters) {

    /**
     * Adam moments of one parameter.
     *
     * @param step      number of updates applied (PyTorch stores it as a float32 scalar tensor)
     * @param expAvg    first moment, same shape as the parameter, float32
     * @param expAvgSq  second moment, idem
     */
    public record ParamState(float step, TensorData expAvg, TensorData expAvgSq) {
    }

    /**
     * The param group PyTorch 1.13 writes for {@code Adam(params, lr)} with a StepLR attached (betas 0.9/0.999,
     * eps 1e-8, no weight decay, no amsgrad).
     */
    public static LinkedHashMap<String, Object> defaultHyperparameters(double lr, double initialLr) {
        LinkedHashMap<String, Object> g = new LinkedHashMap<>();
        g.put("lr", lr);
        g.put("betas", PyTuple.of(0.9, 0.999));
        g.put("eps", 1e-8);
        g.put("weight_decay", 0L);
        g.put("amsgrad", false);
        g.put("maximize", false);
        g.put("foreach", null);
        g.put("capturable", false);
        g.put("differentiable", false);
        g.put("fused", false);
        g.put("initial_lr", initialLr);
        return g;
    }

    /** Current learning rate of the group. */
    public double lr() {
        Object lr = hyperparameters.get("lr");
        return lr instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The Python value {@code optimizer.state_dict()} would return. */
    public LinkedHashMap<Object, Object> toPython() {
        LinkedHashMap<Object, Object> state = new LinkedHashMap<>();
        List<Object> indices = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            indices.add((long) i);
            ParamState p = params.get(i);
            if (p == null) {
                continue;
            }
            LinkedHashMap<Object, Object> s = new LinkedHashMap<>();
            s.put("step", scalarFloat32(p.step()));
            s.put("exp_avg", p.expAvg());
            s.put("exp_avg_sq", p.expAvgSq());
            state.put((long) i, s);
        }
        LinkedHashMap<Object, Object> group = new LinkedHashMap<>(hyperparameters);
        group.put("params", indices);
        List<Object> groups = new ArrayList<>();
        groups.add(group);
        LinkedHashMap<Object, Object> root = new LinkedHashMap<>();
        root.put("state", state);
        root.put("param_groups", groups);
        return root;
    }

    /**
     * Reads the Adam layout out of an unpickled optimiser state_dict.
     *
     * @throws CheckpointException naming what does not match the layout
     */
    public static AdamState fromPython(Object value, Path file) throws CheckpointException {
        Map<?, ?> root = map(value, file, "optimiser state_dict");
        List<?> groups = list(root.get("param_groups"), file, "optimiser 'param_groups'");
        if (groups.size() != 1) {
            throw new CheckpointException(file, "optimiser has " + groups.size() + " param groups, expected 1");
        }
        Map<?, ?> group = map(groups.get(0), file, "optimiser param group");
        List<?> indices = list(group.get("params"), file, "optimiser param group 'params'");
        LinkedHashMap<String, Object> hyper = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : group.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new CheckpointException(file, "optimiser param group key " + PyValues.repr(e.getKey()) + " is not a str");
            }
            if (!k.equals("params")) {
                hyper.put(k, e.getValue());
            }
        }
        // the values the engine's Adam uses must be finite: a NaN lr or eps would train on NaN
        for (String k : new String[] {"lr", "eps", "weight_decay", "initial_lr"}) {
            if (hyper.containsKey(k)) {
                PyValues.finiteReal(hyper.get(k), file, "optimiser '" + k + "'", 0, Double.MAX_VALUE);
            }
        }
        if (hyper.containsKey("betas")) {
            if (!(hyper.get("betas") instanceof PyTuple betas) || betas.size() != 2) {
                throw new CheckpointException(file, "optimiser 'betas' is " + PyValues.repr(hyper.get("betas"))
                        + ", expected a tuple of two floats");
            }
            PyValues.finiteReal(betas.get(0), file, "optimiser 'betas'[0]", 0, 1);
            PyValues.finiteReal(betas.get(1), file, "optimiser 'betas'[1]", 0, 1);
        }
        Map<?, ?> state = map(root.get("state"), file, "optimiser 'state'");
        List<ParamState> params = new ArrayList<>();
        for (int i = 0; i < indices.size(); i++) {
            if (!Long.valueOf(i).equals(indices.get(i))) {
                throw new CheckpointException(file, "optimiser param group 'params' is " + PyValues.repr(indices)
                        + ", expected 0.." + (indices.size() - 1));
            }
            Object s = state.get((long) i);
            if (s == null) {
                params.add(null);
                continue;
            }
            Map<?, ?> ps = map(s, file, "optimiser state of parameter " + i);
            params.add(new ParamState(stepValue(ps.get("step"), file, i),
                    tensor(ps.get("exp_avg"), file, "exp_avg of parameter " + i),
                    tensor(ps.get("exp_avg_sq"), file, "exp_avg_sq of parameter " + i)));
        }
        return new AdamState(params, hyper);
    }

    /** Largest update count: float32 counts every integer exactly up to 2^24 (what PyTorch's float step holds). */
    private static final float MAX_STEP = 1 << 24;

    static TensorData scalarFloat32(float value) {
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array();
        return new TensorData(DType.FLOAT32, new long[0], b);
    }

    private static float stepValue(Object step, Path file, int i) throws CheckpointException {
        if (step instanceof TensorData t && t.numel() == 1 && t.dtype() == DType.FLOAT32) {
            float v = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).getFloat(0);
            if (!(v >= 0 && v <= MAX_STEP) || v != Math.rint(v)) {
                throw new CheckpointException(file, "optimiser 'step' of parameter " + i + " is " + v
                        + ", expected a whole number of updates from 0 to " + (long) MAX_STEP);
            }
            return v;
        }
        if (step instanceof Long l) { // PyTorch before 1.12 stored an int
            return PyValues.integer(l, file, "optimiser 'step' of parameter " + i, 0, (long) MAX_STEP);
        }
        throw new CheckpointException(file, "optimiser 'step' of parameter " + i + " is a " + PyValues.typeName(step)
                + ", expected a float32 scalar tensor");
    }

    private static TensorData tensor(Object v, Path file, String what) throws CheckpointException {
        if (v instanceof TensorData t) {
            return t;
        }
        throw new CheckpointException(file, "optimiser " + what + " is a " + PyValues.typeName(v)
                + ", expected a tensor");
    }

    private static Map<?, ?> map(Object v, Path file, String what) throws CheckpointException {
        if (v instanceof Map<?, ?> m) {
            return m;
        }
        throw new CheckpointException(file, what + " is a " + PyValues.typeName(v) + ", expected a dict");
    }

    private static List<?> list(Object v, Path file, String what) throws CheckpointException {
        if (v instanceof List<?> l) {
            return l;
        }
        throw new CheckpointException(file, what + " is a " + PyValues.typeName(v) + ", expected a list");
    }
}
