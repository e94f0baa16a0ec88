package org.cmarl.engine.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Hand-assembled pickles and zip checkpoints for tests of what torch.save would never write. */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static PickleBytes proto2() {
        PickleBytes p = new PickleBytes();
        p.op(0x80).op(2);
        return p;
    }

    PickleBytes op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleBytes global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        int n = b.length;
        out.write(n);
        out.write(n >>> 8);
        out.write(n >>> 16);
        out.write(n >>> 24);
        out.writeBytes(b);
        return this;
    }

    /** BININT (4 bytes, signed). */
    PickleBytes integer(int v) {
        out.write('J');
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
        return this;
    }

    PickleBytes mark() {
        return op('(');
    }

    /** MARK ints... TUPLE. */
    PickleBytes intTuple(int... values) {
        mark();
        for (int v : values) {
            integer(v);
        }
        return op('t');
    }

    /**
     * Pushes {@code _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False,
     * OrderedDict())}.
     */
    PickleBytes tensor(String storageType, String key, int numel, int offset, int[] size, int[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).op('t').op('Q');
        integer(offset);
        intTuple(size);
        intTuple(stride);
        op(0x89);
        global("collections", "OrderedDict").op(')').op('R');
        op('t');
        return op('R');
    }

    byte[] stop() {
        out.write('.');
        return out.toByteArray();
    }

    /**
     * Pushes a legacy tensor: {@code _rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel,
     * view_metadata), offset, size, stride, False, OrderedDict())}, view_metadata None when {@code viewKey} is null.
     */
    PickleBytes legacyTensor(String key, int numel, String viewKey, int viewOffset, int viewSize, int offset,
                             int[] size, int[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", "FloatStorage").str(key).str("cuda:0").integer(numel);
        if (viewKey == null) {
            op('N');
        } else {
            str(viewKey).integer(viewOffset).integer(viewSize).op(0x87);
        }
        op('t').op('Q');
        integer(offset);
        intTuple(size);
        intTuple(stride);
        op(0x89);
        global("collections", "OrderedDict").op(')').op('R');
        op('t');
        return op('R');
    }

    /**
     * A legacy-format file: magic, protocol 1001, sys_info, this main pickle, the key list, then per key its int64
     * element count (as given) and its bytes.
     */
    static byte[] legacy(java.math.BigInteger magic, boolean littleEndian, byte[] mainPickle,
                         java.util.List<String> keys, java.util.List<Long> counts, java.util.List<byte[]> storages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new PickleWriter().dump(magic));
        out.writeBytes(new PickleWriter().dump(1001L));
        java.util.LinkedHashMap<Object, Object> sysInfo = new java.util.LinkedHashMap<>();
        sysInfo.put("protocol_version", 1001L);
        sysInfo.put("little_endian", littleEndian);
        out.writeBytes(new PickleWriter().dump(sysInfo));
        out.writeBytes(mainPickle);
        out.writeBytes(new PickleWriter().dump(new java.util.ArrayList<Object>(keys)));
        for (int i = 0; i < storages.size(); i++) {
            long n = counts.get(i);
            for (int b = 0; b < 8; b++) {
                out.write((int) (n >>> (8 * b)));
            }
            out.writeBytes(storages.get(i));
        }
        return out.toByteArray();
    }

    /** A zip checkpoint like torch.save's, holding this pickle and the given storages (name -> bytes). */
    static byte[] zip(byte[] pickle, Map<String, byte[]> storages) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ZipArchiveWriter zip = new ZipArchiveWriter(bytes);
        try {
            zip.add("archive/data.pkl", pickle);
            for (Map.Entry<String, byte[]> e : storages.entrySet()) {
                zip.add("archive/data/" + e.getKey(), e.getValue());
            }
            zip.add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            zip.finish();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }
}
