package org.cmarl.engine.io;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pickles Java values (see {@link PyValues}) with protocol 2, byte for byte as CPython's {@code pickle.Pickler}
 * does inside {@code torch.save}: same opcodes, same memo (one BINPUT per memoizable object, by identity, a BINGET
 * when the same object is met again), same batching of SETITEMS/APPENDS (1000 per batch). Tensors are written as
 * {@code torch._utils._rebuild_tensor_v2} calls whose storage is a persistent id
 * {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}; the tensors are collected for the caller to store
 * under {@code data/<key>}, keys {@code "0", "1", ...} in order of first use.
 *
 * <p>A {@link PyOrderedDict} is written as {@code collections.OrderedDict} (with its attributes via BUILD, as a
 * state_dict's {@code _metadata}); any other {@link Map} as a dict; a {@link PyTuple} as a tuple; any other
 * {@link List} as a list. {@code bytes} are refused (protocol 2 would need the {@code _codecs.encode} global, which
 * {@code weights_only} loading refuses).
 */
final class PickleWriter {
    private static final int BATCH_SIZE = 1000;
    /** The same String instances every time, so that they are memoized once, as in torch.save. */
    private static final String STORAGE = "storage";
    private static final String CPU = "cpu";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 12);
    private final IdentityHashMap<Object, Integer> memo = new IdentityHashMap<>();
    private final Map<String, Integer> globalMemo = new HashMap<>();
    private final List<TensorData> storages = new ArrayList<>();

    /** Pickles {@code root} and returns the pickle bytes (PROTO 2 ... STOP). */
    byte[] dump(Object root) {
        out.write(0x80);
        out.write(2);
        save(root);
        out.write('.');
        return out.toByteArray();
    }

    /** The tensors whose storages must be written, storage key = index in this list. */
    List<TensorData> storages() { return storages; }

    private void save(Object obj) {
        Integer memoIndex = obj == null ? null : memo.get(obj);
        if (memoIndex != null) {
            writeGet(memoIndex);
            return;
        }
        if (obj == null) {
            out.write('N');
        } else if (obj instanceof Boolean b) {
            out.write(b ? 0x88 : 0x89);
        } else if (obj instanceof Long || obj instanceof Integer || obj instanceof Short || obj instanceof Byte) {
            saveLong(((Number) obj).longValue());
        } else if (obj instanceof BigInteger big) {
            saveBigInteger(big);
        } else if (obj instanceof Double || obj instanceof Float) {
            out.write('G');
            long bits = Double.doubleToRawLongBits(((Number) obj).doubleValue());
            for (int i = 7; i >= 0; i--) {
                out.write((int) (bits >>> (8 * i)));
            }
        } else if (obj instanceof String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            writeLe32(utf8.length);
            out.writeBytes(utf8);
            memoize(obj);
        } else if (obj instanceof PyTuple t) {
            saveTuple(t);
        } else if (obj instanceof TensorData t) {
            saveTensor(t);
        } else if (obj instanceof PyOrderedDict d) {
            saveOrderedDict(d);
        } else if (obj instanceof Map<?, ?> m) {
            out.write('}');
            memoize(obj);
            batchSetItems(m.entrySet().iterator());
        } else if (obj instanceof List<?> l) {
            out.write(']');
            memoize(obj);
            batchAppends(l.iterator());
        } else {
            throw new IllegalArgumentException("cannot pickle a " + obj.getClass().getName()
                    + " (supported: null, Boolean, integers, Double/Float, String, PyTuple, List, Map, TensorData)");
        }
    }

    private void saveLong(long v) {
        if (v >= 0 && v <= 0xff) {
            out.write('K');
            out.write((int) v);
        } else if (v >= 0 && v <= 0xffff) {
            out.write('M');
            out.write((int) v);
            out.write((int) (v >>> 8));
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J');
            writeLe32((int) v);
        } else {
            saveBigInteger(BigInteger.valueOf(v));
        }
    }

    /** LONG1: minimal little-endian two's complement, as pickle's encode_long. */
    private void saveBigInteger(BigInteger v) {
        if (v.bitLength() < 32) {
            saveLong(v.longValue());
            return;
        }
        byte[] bigEndian = v.toByteArray(); // minimal two's complement, sign bit included
        if (bigEndian.length > 255) {
            throw new IllegalArgumentException("integer too large to pickle with LONG1: " + v.bitLength() + " bits");
        }
        out.write(0x8a);
        out.write(bigEndian.length);
        for (int i = bigEndian.length - 1; i >= 0; i--) {
            out.write(bigEndian[i]);
        }
    }

    private void saveTuple(PyTuple t) {
        int n = t.size();
        if (n == 0) {
            out.write(')');
            return;
        }
        if (n <= 3) {
            for (Object item : t.items()) {
                save(item);
            }
            out.write(0x84 + n); // TUPLE1, TUPLE2, TUPLE3
        } else {
            out.write('(');
            for (Object item : t.items()) {
                save(item);
            }
            out.write('t');
        }
        memoize(t);
    }

    private void saveOrderedDict(PyOrderedDict d) {
        // OrderedDict.__reduce__ -> (OrderedDict, (), state or None, None, iter(items)); pickled via REDUCE.
        saveGlobal("collections", "OrderedDict");
        out.write(')');
        out.write('R');
        memoize(d);
        batchSetItems(d.entrySet().iterator());
        if (!d.attributes().isEmpty()) {
            save(new LinkedHashMap<Object, Object>(d.attributes()));
            out.write('b');
        }
    }

    private void saveTensor(TensorData t) {
        // Tensor.__reduce_ex__ -> (_rebuild_tensor_v2, (storage, 0, size, stride, False, OrderedDict())).
        saveGlobal("torch._utils", "_rebuild_tensor_v2");
        long[] size = t.shape();
        long[] stride = new long[size.length];
        long step = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            stride[d] = step;
            step *= Math.max(size[d], 1);
        }
        out.write('(');
        // the storage, by persistent id: the pid tuple is pickled (and memoized), then BINPERSID.
        String key = Integer.toString(storages.size());
        storages.add(t);
        out.write('(');
        save(STORAGE);
        saveGlobal("torch", t.dtype().storageName());
        save(key);
        save(CPU);
        saveLong(t.numel());
        out.write('t');
        memoize(new Object());
        out.write('Q');
        saveLong(0); // storage offset
        save(boxed(size));
        save(boxed(stride));
        out.write(0x89); // requires_grad False
        saveGlobal("collections", "OrderedDict"); // backward_hooks: an empty OrderedDict
        out.write(')');
        out.write('R');
        memoize(new Object());
        out.write('t');
        memoize(new Object());
        out.write('R');
        memoize(t);
    }

    private static PyTuple boxed(long[] values) {
        Object[] items = new Object[values.length];
        for (int i = 0; i < values.length; i++) {
            items[i] = values[i];
        }
        return PyTuple.of(items);
    }

    private void saveGlobal(String module, String name) {
        String key = module + "\n" + name;
        Integer index = globalMemo.get(key);
        if (index != null) {
            writeGet(index);
            return;
        }
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        index = memo.size();
        memo.put(new Object(), index);
        globalMemo.put(key, index);
        writePut(index);
    }

    private void batchSetItems(Iterator<? extends Map.Entry<?, ?>> items) {
        List<Map.Entry<?, ?>> batch = new ArrayList<>(Math.min(BATCH_SIZE, 16));
        while (true) {
            batch.clear();
            while (batch.size() < BATCH_SIZE && items.hasNext()) {
                batch.add(items.next());
            }
            if (batch.size() > 1) {
                out.write('(');
                for (Map.Entry<?, ?> e : batch) {
                    save(e.getKey());
                    save(e.getValue());
                }
                out.write('u');
            } else if (batch.size() == 1) {
                save(batch.get(0).getKey());
                save(batch.get(0).getValue());
                out.write('s');
            }
            if (batch.size() < BATCH_SIZE) {
                return;
            }
        }
    }

    private void batchAppends(Iterator<?> items) {
        List<Object> batch = new ArrayList<>(Math.min(BATCH_SIZE, 16));
        while (true) {
            batch.clear();
            while (batch.size() < BATCH_SIZE && items.hasNext()) {
                batch.add(items.next());
            }
            if (batch.size() > 1) {
                out.write('(');
                for (Object o : batch) {
                    save(o);
                }
                out.write('e');
            } else if (batch.size() == 1) {
                save(batch.get(0));
                out.write('a');
            }
            if (batch.size() < BATCH_SIZE) {
                return;
            }
        }
    }

    private void memoize(Object obj) {
        int index = memo.size();
        memo.put(obj, index);
        writePut(index);
    }

    private void writePut(int index) {
        if (index < 256) {
            out.write('q');
            out.write(index);
        } else {
            out.write('r');
            writeLe32(index);
        }
    }

    private void writeGet(int index) {
        if (index < 256) {
            out.write('h');
            out.write(index);
        } else {
            out.write('j');
            writeLe32(index);
        }
    }

    private void writeLe32(int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
