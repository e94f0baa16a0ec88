package org.cmarl.engine.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A Python tuple in an unpickled checkpoint (a {@link java.util.List} stands for a Python list). Kept distinct
 * because the writer must emit tuples where PyTorch expects them, e.g. Adam's {@code 'betas': (0.9, 0.999)}.
 *
 * @param items the elements, unmodifiable (may contain null for None)
 */
public record PyTuple(List<Object> items) {
    public PyTuple {
        items = Collections.unmodifiableList(new ArrayList<>(items));
    }

    public static PyTuple of(Object... items) {
        return new PyTuple(Arrays.asList(items));
    }

    public int size() { return items.size(); }

    public Object get(int index) { return items.get(index); }
}
