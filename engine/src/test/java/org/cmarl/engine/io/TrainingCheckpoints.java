package org.cmarl.engine.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small deterministic training checkpoint for tests (tiny tensors, the published dict layout). */
final class TrainingCheckpoints {
    private TrainingCheckpoints() {
    }

    static TrainingCheckpoint sample() {
        LinkedHashMap<String, TensorData> q = new LinkedHashMap<>();
        q.put("fc1.0.weight", floats(new long[] {2, 3}, 0.5f));
        q.put("fc1.0.bias", floats(new long[] {2}, -1.25f));
        q.put("prelu4.0.weight", floats(new long[] {1}, 0.25f));
        LinkedHashMap<String, TensorData> target = new LinkedHashMap<>();
        q.forEach((k, v) -> target.put(k, floats(v.shape(), 2f)));
        List<AdamState.ParamState> params = new ArrayList<>();
        for (TensorData p : q.values()) {
            params.add(new AdamState.ParamState(3f, floats(p.shape(), 0.1f), floats(p.shape(), 0.001f)));
        }
        AdamState adam = new AdamState(params, AdamState.defaultHyperparameters(1e-3, 1e-3));
        StepLrState scheduler = new StepLrState(100, 0.5, 1e-3, 3, 1e-3);
        Map<Object, Object> optimiser = adam.toPython();
        return new TrainingCheckpoint(q, target, optimiser, scheduler.toPython(), 12, 0.9988, 2400);
    }

    /** Values start, start + 1, start + 2... as float32. */
    static TensorData floats(long[] shape, float start) {
        int n = (int) TensorData.numel(shape);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(start + i);
        }
        return new TensorData(DType.FLOAT32, shape, b.array());
    }
}
