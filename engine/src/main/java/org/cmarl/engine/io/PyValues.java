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

    /** Characters of a value quoted in an error message. */
    static final int MAX_REPR_CHARS = 120;

    /**
     * A short Python-like rendering of {@code value} for an error message: at most {@value #MAX_REPR_CHARS}
     * characters and 4 levels deep, whatever the value (a crafted file can build a list holding itself, or a DAG
     * whose full text would be exponentially long; the walk stops as soon as the budget is spent).
     */
    public static String repr(Object value) {
        StringBuilder sb = new StringBuilder();
        repr(value, sb, 0);
        return sb.length() > MAX_REPR_CHARS ? sb.substring(0, MAX_REPR_CHARS) + "..." : sb.toString();
    }

    private static void repr(Object value, StringBuilder sb, int depth) {
        if (sb.length() > MAX_REPR_CHARS) {
            return;
        }
        if (value == null) {
            sb.append("None");
        } else if (value instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (value instanceof String s) {
            sb.append('\'').append(s, 0, Math.min(s.length(), MAX_REPR_CHARS)).append('\'');
        } else if (value instanceof Long || value instanceof Double || value instanceof Integer) {
            sb.append(value);
        } else if (value instanceof BigInteger b) {
            sb.append(b.bitLength() <= 256 ? b.toString() : "<int of " + b.bitLength() + " bits>");
        } else if (value instanceof PyTuple || value instanceof List<?> || value instanceof Map<?, ?>) {
            if (depth >= 4) {
                sb.append(value instanceof Map<?, ?> ? "{...}" : value instanceof PyTuple ? "(...)" : "[...]");
                return;
            }
            boolean map = value instanceof Map<?, ?>;
            sb.append(map ? '{' : value instanceof PyTuple ? '(' : '[');
            Iterable<?> items = map ? ((Map<?, ?>) value).entrySet()
                    : value instanceof PyTuple t ? t.items() : (List<?>) value;
            boolean first = true;
            for (Object item : items) {
                if (sb.length() > MAX_REPR_CHARS) {
                    return;
                }
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                if (item instanceof Map.Entry<?, ?> e) {
                    repr(e.getKey(), sb, depth + 1);
                    sb.append(": ");
                    repr(e.getValue(), sb, depth + 1);
                } else {
                    repr(item, sb, depth + 1);
                }
            }
            sb.append(map ? '}' : value instanceof PyTuple ? ')' : ']');
        } else {
            sb.append(typeName(value));
        }
    }

    /**
     * A float (or int) field of a checkpoint, checked to be finite and within {@code [min, max]}.
     *
     * @param what the field, as the message names it (e.g. "'eps'")
     */
    public static double finiteReal(Object value, Path file, String what, double min, double max)
            throws CheckpointException {
        double v;
        if (value instanceof Double d) {
            v = d;
        } else if (value instanceof Long l) {
            v = l;
        } else {
            throw new CheckpointException(file, what + " must be a float, found " + typeName(value));
        }
        if (!Double.isFinite(v) || v < min || v > max) {
            throw new CheckpointException(file, what + " is " + v + ", expected a finite value in [" + min + ", "
                    + max + "]");
        }
        return v;
    }

    /** An int field of a checkpoint, checked to be within {@code [min, max]}. */
    public static long integer(Object value, Path file, String what, long min, long max) throws CheckpointException {
        if (!(value instanceof Long v)) {
            throw new CheckpointException(file, what + " must be an int, found "
                    + (value instanceof BigInteger ? "an int of more than 64 bits" : typeName(value)));
        }
        if (v < min || v > max) {
            throw new CheckpointException(file, what + " is " + v + ", expected " + min + " to " + max);
        }
        return v;
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
                throw new CheckpointException(file, what + " has a non-str key " + repr(e.getKey()) + " ("
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
