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
