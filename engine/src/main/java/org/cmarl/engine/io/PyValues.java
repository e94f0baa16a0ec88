package org.cmarl.engine.io;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How Python values of a checkpoint are represented in Java, and helpers to check them.
 *
 * <pre>
 * None -> null            bool -> Boolean        int -> Long (BigInteger beyond 64 bits)
 * float -> Double         str -> String          bytes -> byte[]
 * tuple -> PyTuple        list -> List (ArrayList)
 * dict -> LinkedHashMap   OrderedDict -> PyOrderedDict (LinkedHashMap + attributes)
 * torch.Tensor / nn.Parameter -> TensorData (contiguous copy, on CPU)
 * </pre>
 * Dict keys keep their Python type: the optimiser state {@code {0: {...}}} has {@code Long} keys.
 */
public final class PyValues {
    private PyValues() {
    }

    /** Python-style type name of a Java representation, for error messages. */
    public static String typeName(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Boolean) {
            return "bool";
        }
        if (value instanceof Long || value instanceof BigInteger || value instanceof Integer) {
            return "int";
        }
        if (value instanceof Double || value instanceof Float) {
            return "float";
        }
        if (value instanceof String) {
            return "str";
        }
        if (value instanceof byte[]) {
            return "bytes";
        }
        if (value instanceof PyTuple) {
            return "tuple";
        }
        if (value instanceof List<?>) {
            return "list";
        }
        if (value instanceof PyOrderedDict) {
            return "OrderedDict";
        }
        if (value instanceof Map<?, ?>) {
            return "dict";
        }
        if (value instanceof TensorData t) {
            return "Tensor(" + t.dtype().displayName() + ")";
        }
        return value.getClass().getSimpleName();
    }

    /** True if {@code value} is a dict (or OrderedDict) whose keys are all str and values all tensors. */
    public static boolean isStateDict(Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            return false;
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String) || !(e.getValue() instanceof TensorData)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A state_dict as parameter name -> tensor, in file order.
     *
     * @param what which part of the file this is, for the error message
     */
    public static LinkedHashMap<String, TensorData> stateDict(Object value, Path file, String what)
            throws CheckpointException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(file, what + " must be a state_dict (dict of tensors), found "
                    + typeName(value));
        }
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new CheckpointException(file, what + " has a non-str key " + e.getKey() + " ("
                        + typeName(e.getKey()) + ")");
            }
            if (!(e.getValue() instanceof TensorData t)) {
                throw new CheckpointException(file, what + " entry '" + name + "' is a " + typeName(e.getValue())
                        + ", expected a tensor");
            }
            out.put(name, t);
        }
        return out;
    }
}
