package org.cmarl.engine.io;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler, the Java counterpart of PyTorch's {@code torch.load(..., weights_only=True)}: it builds
 * plain values (see {@link PyValues}) and never executes anything. Only the opcodes {@code torch.save} emits for
 * state_dicts and training checkpoints are understood (protocols 2 to 5), and only a fixed allow-list of globals may
 * be named ({@link PyGlobal}); any other opcode or global is a {@link CheckpointException} naming it.
 *
 * <p>Every length read from the stream is checked against the bytes left before anything is allocated, so a corrupt
 * or hostile file fails with a {@link CheckpointException}, never with an {@link OutOfMemoryError} or an index error.
 *
 * <p>Storages are not read here: a persistent id is handed to a {@link Resolver}, which knows the container format.
 */
final class PickleReader {

    /** Connects the unpickler to the storages of the container (zip entries or legacy raw storages). */
    interface Resolver {
        /** The storage named by a persistent id (the pid tuple of {@code torch.save}). */
        Object persistentLoad(Object pid) throws CheckpointException;

        /** {@code torch._utils._rebuild_tensor_v2}: a contiguous copy of the strided view of {@code storage}. */
        TensorData rebuildTensor(Object storage, long storageOffset, long[] size, long[] stride)
                throws CheckpointException;
    }

    // Opcodes, named as in CPython's Lib/pickle.py.
    private static final int MARK = '(';
    private static final int STOP = '.';
    private static final int POP = '0';
    private static final int POP_MARK = '1';
    private static final int DUP = '2';
    private static final int BINFLOAT = 'G';
    private static final int BININT = 'J';
    private static final int BININT1 = 'K';
    private static final int BININT2 = 'M';
    private static final int NONE = 'N';
    private static final int BINPERSID = 'Q';
    private static final int REDUCE = 'R';
    private static final int BINSTRING = 'T';
    private static final int SHORT_BINSTRING = 'U';
    private static final int BINUNICODE = 'X';
    private static final int APPEND = 'a';
    private static final int BUILD = 'b';
    private static final int GLOBAL = 'c';
    private static final int APPENDS = 'e';
    private static final int BINGET = 'h';
    private static final int LONG_BINGET = 'j';
    private static final int EMPTY_LIST = ']';
    private static final int BINPUT = 'q';
    private static final int LONG_BINPUT = 'r';
    private static final int SETITEM = 's';
    private static final int TUPLE = 't';
    private static final int EMPTY_TUPLE = ')';
    private static final int SETITEMS = 'u';
    private static final int EMPTY_DICT = '}';
    private static final int BINBYTES = 'B';
    private static final int SHORT_BINBYTES = 'C';
    private static final int PROTO = 0x80;
    private static final int NEWOBJ = 0x81;
    private static final int TUPLE1 = 0x85;
    private static final int TUPLE2 = 0x86;
    private static final int TUPLE3 = 0x87;
    private static final int NEWTRUE = 0x88;
    private static final int NEWFALSE = 0x89;
    private static final int LONG1 = 0x8a;
    private static final int LONG4 = 0x8b;
    private static final int SHORT_BINUNICODE = 0x8c;
    private static final int BINUNICODE8 = 0x8d;
    private static final int BINBYTES8 = 0x8e;
    private static final int STACK_GLOBAL = 0x93;
    private static final int MEMOIZE = 0x94;
    private static final int FRAME = 0x95;

    private static final int HIGHEST_PROTOCOL = 5;
    /** A tensor of more dimensions than this is certainly corrupt (PyTorch's own limit is 64). */
    private static final int MAX_DIMS = 64;
    /** Longest module or name of a GLOBAL opcode we bother scanning for. */
    private static final int MAX_GLOBAL_LINE = 256;
    /**
     * Work one pickle may cost: one step per opcode plus one per item a BUILD copies. The largest checkpoint of these
     * networks (a CommNet training checkpoint with Adam state) runs a few thousand opcodes; this cap bounds the
     * objects, stack and memo a crafted pickle can create (each step creates at most one) and the time it takes.
     */
    static final int MAX_STEPS = 1 << 20;
    /** Python ints in a checkpoint are counters and the 10-byte legacy magic: a LONG1/LONG4 longer than this is refused. */
    private static final int MAX_INT_BYTES = 64;
    /**
     * A dict key may be a str, int, float, bool, None or a tuple of those; a tuple key is walked (and later hashed)
     * at most this many elements deep and wide in total, so a key built as a DAG through the memo cannot make
     * hashing exponential.
     */
    private static final int MAX_KEY_ELEMENTS = 64;
    /**
     * Tuple dict keys one pickle may use (checkpoints use str and int keys only). Crafted tuples can share one hash
     * code, and HashMap cannot order tuples to bound the search, so n of them cost n^2 comparisons.
     */
    static final int MAX_TUPLE_KEYS = 1024;

    private final Path file;
    private final String part;
    private final byte[] buf;
    private final int end;
    private final Resolver resolver;
    private int pos;

    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private int steps;
    private int tupleKeys;

    /**
     * @param file     the checkpoint, for messages
     * @param part     which pickle of the file this is, for messages (e.g. "data.pkl")
     * @param buf      bytes holding the pickle
     * @param start    first byte of the pickle in {@code buf}
     * @param end      one past the last byte the pickle may use
     */
    PickleReader(Path file, String part, byte[] buf, int start, int end, Resolver resolver) {
        this.file = file;
        this.part = part;
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.resolver = resolver;
    }

    /** Offset just after the STOP opcode, once {@link #load()} returned. */
    int position() { return pos; }

    /** Runs the pickle up to its STOP opcode and returns the top-level object. */
    Object load() throws CheckpointException {
        while (true) {
            int opAt = pos;
            spend(opAt, 1);
            int op = u8();
            switch (op) {
                case PROTO -> {
                    int proto = u8();
                    if (proto > HIGHEST_PROTOCOL) {
                        throw fail(opAt, "unsupported pickle protocol " + proto + " (expected 2 to 5)");
                    }
                }
                case FRAME -> {
                    long frameBytes = i64();
                    if (frameBytes < 0 || frameBytes > end - pos) {
                        throw fail(opAt, "FRAME of " + frameBytes + " bytes but only " + (end - pos) + " left");
                    }
                }
                case STOP -> {
                    if (stack.size() != 1 || markCount != 0) {
                        throw fail(opAt, "STOP with " + stack.size() + " objects and " + markCount
                                + " marks on the stack (expected exactly 1 object)");
                    }
                    return stack.remove(0);
                }
                case MARK -> pushMark();
                case POP -> {
                    if (stack.size() > currentMarkBase()) {
                        pop(opAt);
                    } else {
                        popMark(opAt);
                    }
                }
                case POP_MARK -> popMark(opAt);
                case DUP -> push(peek(opAt));
                case EMPTY_DICT -> push(new LinkedHashMap<Object, Object>());
                case EMPTY_LIST -> push(new ArrayList<Object>());
                case EMPTY_TUPLE -> push(new PyTuple(List.of()));
                case TUPLE -> push(new PyTuple(popMark(opAt)));
                case TUPLE1 -> {
                    Object a = pop(opAt);
                    push(PyTuple.of(a));
                }
                case TUPLE2 -> {
                    Object b = pop(opAt);
                    Object a = pop(opAt);
                    push(PyTuple.of(a, b));
                }
                case TUPLE3 -> {
                    Object c = pop(opAt);
                    Object b = pop(opAt);
                    Object a = pop(opAt);
                    push(PyTuple.of(a, b, c));
                }
                case BINPUT -> memo.put((long) u8(), peek(opAt));
                case LONG_BINPUT -> memo.put(u32(), peek(opAt));
                case MEMOIZE -> memo.put((long) memo.size(), peek(opAt));
                case BINGET -> push(memoGet(opAt, u8()));
                case LONG_BINGET -> push(memoGet(opAt, u32()));
                case BININT -> push((long) i32());
                case BININT1 -> push((long) u8());
                case BININT2 -> push((long) u16());
                case LONG1 -> push(readLong(opAt, u8()));
                case LONG4 -> push(readLong(opAt, lengthI32(opAt)));
                case BINFLOAT -> push(Double.longBitsToDouble(i64BigEndian()));
                case SHORT_BINUNICODE -> push(utf8(u8()));
                case BINUNICODE -> push(utf8(length(opAt, u32())));
                case BINUNICODE8 -> push(utf8(length(opAt, i64())));
                // Python 2 str: torch.load decodes them as UTF-8 (its default encoding argument).
                case SHORT_BINSTRING -> push(utf8(u8()));
                case BINSTRING -> push(utf8(lengthI32(opAt)));
                case SHORT_BINBYTES -> push(bytes(u8()));
                case BINBYTES -> push(bytes(length(opAt, u32())));
                case BINBYTES8 -> push(bytes(length(opAt, i64())));
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case NONE -> push(null);
                case SETITEM -> {
                    Object value = pop(opAt);
                    Object key = pop(opAt);
                    putItem(opAt, dictOnTop(opAt), key, value);
                }
                case SETITEMS -> {
                    List<Object> items = popMark(opAt);
                    if (items.size() % 2 != 0) {
                        throw fail(opAt, "SETITEMS with an odd number (" + items.size() + ") of keys and values");
                    }
                    Map<Object, Object> dict = dictOnTop(opAt);
                    for (int i = 0; i < items.size(); i += 2) {
                        putItem(opAt, dict, items.get(i), items.get(i + 1));
                    }
                }
                case APPEND -> {
                    Object value = pop(opAt);
                    listOnTop(opAt).add(value);
                }
                case APPENDS -> {
                    List<Object> items = popMark(opAt);
                    listOnTop(opAt).addAll(items);
                }
                case GLOBAL -> {
                    String module = line(opAt);
                    String name = line(opAt);
                    push(global(opAt, module, name));
                }
                case STACK_GLOBAL -> {
                    Object name = pop(opAt);
                    Object module = pop(opAt);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail(opAt, "STACK_GLOBAL needs two str, found " + PyValues.typeName(module) + " and "
                                + PyValues.typeName(name));
                    }
                    push(global(opAt, m, n));
                }
                case REDUCE -> {
                    Object args = pop(opAt);
                    Object callable = pop(opAt);
                    push(call(opAt, callable, args));
                }
                case NEWOBJ -> {
                    Object args = pop(opAt);
                    Object cls = pop(opAt);
                    if (cls != PyGlobal.ORDERED_DICT || !(args instanceof PyTuple t) || t.size() != 0) {
                        throw fail(opAt, "NEWOBJ is only allowed as collections.OrderedDict(), found "
                                + describe(cls) + " with " + PyValues.typeName(args));
                    }
                    push(new PyOrderedDict());
                }
                case BUILD -> {
                    Object state = pop(opAt);
                    build(opAt, peek(opAt), state);
                }
                case BINPERSID -> {
                    Object pid = pop(opAt);
                    push(resolver.persistentLoad(pid));
                }
                default -> throw fail(opAt, String.format("unknown or disallowed pickle opcode 0x%02x", op));
            }
        }
    }

    // ---- globals and calls ----

    private Object global(int opAt, String module, String name) throws CheckpointException {
        PyGlobal g = PyGlobal.find(module, name);
        if (g == null) {
            throw fail(opAt, "refuses global " + module + "." + name
                    + " (only OrderedDict, torch tensor/parameter rebuilders and torch.*Storage types are allowed)");
        }
        if (g == PyGlobal.STORAGE_TYPE) {
            DType dtype = DType.ofStorageName(name);
            return new StorageType(dtype);
        }
        return g;
    }

    private Object call(int opAt, Object callable, Object argsObject) throws CheckpointException {
        if (!(argsObject instanceof PyTuple args)) {
            throw fail(opAt, "REDUCE arguments must be a tuple, found " + PyValues.typeName(argsObject));
        }
        if (!(callable instanceof PyGlobal g)) {
            throw fail(opAt, "REDUCE on " + describe(callable) + ", which is not callable here");
        }
        switch (g) {
            case ORDERED_DICT -> {
                if (args.size() != 0) {
                    throw fail(opAt, "collections.OrderedDict called with " + args.size()
                            + " arguments (expected none)");
                }
                return new PyOrderedDict();
            }
            case REBUILD_TENSOR_V2 -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.size() != 6 && args.size() != 7) {
                    throw fail(opAt, "_rebuild_tensor_v2 called with " + args.size() + " arguments (expected 6 or 7)");
                }
                return rebuild(opAt, args);
            }
            case REBUILD_TENSOR -> {
                // (storage, storage_offset, size, stride)
                if (args.size() != 4) {
                    throw fail(opAt, "_rebuild_tensor called with " + args.size() + " arguments (expected 4)");
                }
                return rebuild(opAt, args);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // (data, requires_grad, backward_hooks[, state]): a Parameter is just its tensor for us.
                int expected = g == PyGlobal.REBUILD_PARAMETER ? 3 : 4;
                if (args.size() != expected || !(args.get(0) instanceof TensorData data)) {
                    throw fail(opAt, g.qualifiedName() + " called with " + args.size() + " arguments, first "
                            + PyValues.typeName(args.size() > 0 ? args.get(0) : null) + " (expected " + expected
                            + ", first a tensor)");
                }
                return data;
            }
            default -> throw fail(opAt, g.qualifiedName() + " is not callable");
        }
    }

    private TensorData rebuild(int opAt, PyTuple args) throws CheckpointException {
        Object storage = args.get(0);
        long offset = asLong(opAt, args.get(1), "storage_offset");
        long[] size = longs(opAt, args.get(2), "size");
        long[] stride = longs(opAt, args.get(3), "stride");
        if (size.length != stride.length) {
            throw fail(opAt, "tensor size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                    + " have different lengths");
        }
        return resolver.rebuildTensor(storage, offset, size, stride);
    }

    private void build(int opAt, Object instance, Object state) throws CheckpointException {
        if (instance instanceof PyOrderedDict od) {
            // state_dict() sets _metadata on the OrderedDict: BUILD with a dict of attributes (pickle's
            // default __setstate__), or a (dict, slots) pair.
            Object attributes = state;
            if (state instanceof PyTuple t && t.size() == 2 && t.get(1) == null) {
                attributes = t.get(0);
            }
            if (!(attributes instanceof Map<?, ?> m)) {
                throw fail(opAt, "BUILD of an OrderedDict with a " + PyValues.typeName(state)
                        + " state (expected a dict of attributes)");
            }
            spend(opAt, m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String name)) {
                    throw fail(opAt, "BUILD attribute name " + PyValues.typeName(e.getKey()) + " is not a str");
                }
                od.attributes().put(name, e.getValue());
            }
            return;
        }
        if (instance instanceof TensorData && (state == null
                || state instanceof Map<?, ?> m && m.isEmpty())) {
            return; // a Parameter's empty __setstate__
        }
        throw fail(opAt, "BUILD of a " + PyValues.typeName(instance) + " is not allowed");
    }

    // ---- containers ----

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(int opAt) throws CheckpointException {
        Object top = peek(opAt);
        if (top instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw fail(opAt, "SETITEM(S) on a " + PyValues.typeName(top) + ", expected a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop(int opAt) throws CheckpointException {
        Object top = peek(opAt);
        if (top instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw fail(opAt, "APPEND(S) on a " + PyValues.typeName(top) + ", expected a list");
    }

    private void putItem(int opAt, Map<Object, Object> dict, Object key, Object value) throws CheckpointException {
        if (key instanceof PyTuple && ++tupleKeys > MAX_TUPLE_KEYS) {
            throw fail(opAt, "more than " + MAX_TUPLE_KEYS + " dict keys are tuples; checkpoint keys are str or int");
        }
        int elements = checkKey(opAt, key, 0);
        spend(opAt, elements);
        dict.put(key, value);
    }

    /**
     * Checks that {@code key} is hashable (scalars, tuples of them) and small; returns how many elements it has,
     * counting a tuple reached twice through the memo twice, as hashing would.
     */
    private int checkKey(int opAt, Object key, int elementsSoFar) throws CheckpointException {
        int elements = elementsSoFar + 1;
        if (elements > MAX_KEY_ELEMENTS) {
            throw fail(opAt, "dict key is a tuple of more than " + MAX_KEY_ELEMENTS
                    + " elements (nested tuples counted in full); checkpoint keys are str or int");
        }
        if (key == null || key instanceof String || key instanceof Long || key instanceof Boolean
                || key instanceof Double || key instanceof BigInteger) {
            return elements;
        }
        if (key instanceof PyTuple t) {
            for (Object item : t.items()) {
                elements = checkKey(opAt, item, elements);
            }
            return elements;
        }
        throw fail(opAt, "dict key " + (elementsSoFar == 0 ? "" : "is a tuple holding a value ") + "of type "
                + PyValues.typeName(key) + ", which is not hashable or not supported");
    }

    /** Counts {@code n} steps of work against {@link #MAX_STEPS}. */
    private void spend(int opAt, int n) throws CheckpointException {
        steps += n;
        if (steps > MAX_STEPS || steps < 0) {
            throw fail(opAt, "pickle needs more than " + MAX_STEPS + " steps (opcodes and copied items); "
                    + "a checkpoint of these networks needs a few thousand");
        }
    }

    // ---- stack ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(int opAt) throws CheckpointException {
        if (stack.size() <= currentMarkBase()) {
            throw fail(opAt, "pickle stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(int opAt) throws CheckpointException {
        if (stack.size() <= currentMarkBase()) {
            throw fail(opAt, "pickle stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private int currentMarkBase() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private void pushMark() {
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    /** Removes and returns the objects above the latest MARK. */
    private List<Object> popMark(int opAt) throws CheckpointException {
        if (markCount == 0) {
            throw fail(opAt, "no MARK on the pickle stack");
        }
        int base = marks[--markCount];
        List<Object> top = stack.subList(base, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private Object memoGet(int opAt, long index) throws CheckpointException {
        if (!memo.containsKey(index)) {
            throw fail(opAt, "memo index " + index + " was never stored");
        }
        return memo.get(index);
    }

    // ---- primitive reads, every length checked against the bytes left ----

    private void need(int n) throws CheckpointException {
        if (n > end - pos) {
            throw new CheckpointException(file, "truncated " + part + ": needs " + n + " more bytes at offset "
                    + pos + ", only " + (end - pos) + " left");
        }
    }

    private int u8() throws CheckpointException {
        need(1);
        return buf[pos++] & 0xff;
    }

    private int u16() throws CheckpointException {
        need(2);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int i32() throws CheckpointException {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | buf[pos + 3] << 24;
        pos += 4;
        return v;
    }

    private long u32() throws CheckpointException {
        return i32() & 0xffffffffL;
    }

    private long i64() throws CheckpointException {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (buf[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    private long i64BigEndian() throws CheckpointException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (buf[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    private int lengthI32(int opAt) throws CheckpointException {
        return length(opAt, i32());
    }

    /** A length field, checked to fit the bytes left before anything is allocated. */
    private int length(int opAt, long n) throws CheckpointException {
        if (n < 0 || n > end - pos) {
            throw fail(opAt, "length " + n + " does not fit the " + (end - pos) + " bytes left");
        }
        return (int) n;
    }

    private String utf8(int n) throws CheckpointException {
        need(n);
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    private byte[] bytes(int n) throws CheckpointException {
        need(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** LONG1/LONG4: little-endian two's complement of {@code n} bytes. */
    private Object readLong(int opAt, int n) throws CheckpointException {
        if (n > MAX_INT_BYTES) {
            throw fail(opAt, "int of " + n + " bytes (at most " + MAX_INT_BYTES + " accepted)");
        }
        need(n);
        if (n == 0) {
            pos += 0;
            return 0L;
        }
        byte[] bigEndian = new byte[n];
        for (int i = 0; i < n; i++) {
            bigEndian[i] = buf[pos + n - 1 - i];
        }
        pos += n;
        BigInteger v = new BigInteger(bigEndian);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** A GLOBAL operand: ASCII up to a newline. */
    private String line(int opAt) throws CheckpointException {
        int limit = Math.min(end, pos + MAX_GLOBAL_LINE);
        for (int i = pos; i < limit; i++) {
            if (buf[i] == '\n') {
                String s = new String(buf, pos, i - pos, StandardCharsets.US_ASCII);
                pos = i + 1;
                return s;
            }
        }
        if (limit == end) {
            throw new CheckpointException(file, "truncated " + part + ": GLOBAL operand at offset " + pos
                    + " has no end of line");
        }
        throw fail(opAt, "GLOBAL operand longer than " + MAX_GLOBAL_LINE + " bytes");
    }

    private long asLong(int opAt, Object value, String what) throws CheckpointException {
        if (value instanceof Long l) {
            return l;
        }
        throw fail(opAt, "tensor " + what + " must be an int, found " + PyValues.typeName(value));
    }

    private long[] longs(int opAt, Object value, String what) throws CheckpointException {
        if (!(value instanceof PyTuple t)) {
            throw fail(opAt, "tensor " + what + " must be a tuple of int, found " + PyValues.typeName(value));
        }
        if (t.size() > MAX_DIMS) {
            throw fail(opAt, "tensor " + what + " has " + t.size() + " dimensions (at most " + MAX_DIMS + ")");
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = asLong(opAt, t.get(i), what);
        }
        return out;
    }

    private static String describe(Object o) {
        if (o instanceof PyGlobal g) {
            return g.qualifiedName();
        }
        if (o instanceof StorageType s) {
            return "torch." + s.dtype().storageName();
        }
        return PyValues.typeName(o);
    }

    private CheckpointException fail(int opAt, String reason) {
        return new CheckpointException(file, part + " at offset " + opAt + ": " + reason);
    }

    /** The value of a {@code torch.FloatStorage}-like global: the storage's element type. */
    record StorageType(DType dtype) {
    }

    /** The globals a checkpoint may name; everything else is refused. */
    enum PyGlobal {
        ORDERED_DICT("collections", "OrderedDict"),
        REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"),
        REBUILD_TENSOR("torch._utils", "_rebuild_tensor"),
        REBUILD_PARAMETER("torch._utils", "_rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state"),
        /** {@code torch.FloatStorage}, {@code torch.LongStorage}...: any name {@link DType#ofStorageName} knows. */
        STORAGE_TYPE("torch", null);

        private final String module;
        private final String name;

        PyGlobal(String module, String name) {
            this.module = module;
            this.name = name;
        }

        String qualifiedName() { return module + "." + (name == null ? "<dtype>Storage" : name); }

        static PyGlobal find(String module, String name) {
            if ("torch".equals(module) && DType.ofStorageName(name) != null) {
                return STORAGE_TYPE;
            }
            for (PyGlobal g : values()) {
                if (g.module.equals(module) && name.equals(g.name)) {
                    return g;
                }
            }
            return null;
        }
    }
}
