package org.cmarl.engine.io;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads PyTorch {@code .pt} files written by {@code torch.save}, in both container formats, without libtorch and
 * without executing anything (a restricted unpickler, like {@code torch.load(..., weights_only=True)}).
 *
 * <p><b>Zip format</b> (PyTorch >= 1.6): entries {@code <archive>/data.pkl} (the pickle), {@code <archive>/data/<key>}
 * (one raw little-endian storage per key), {@code <archive>/version}, maybe {@code <archive>/byteorder}; the archive
 * folder name varies (PyTorch uses the file's base name). Storages are named in the pickle by the persistent id
 * {@code ('storage', torch.FloatStorage, key, location, numel)}.
 *
 * <p><b>Legacy format</b>: five pickles one after the other, then the raw storages:
 * <pre>
 * pickle  magic number 0x1950a86a20f9469cfc6c
 * pickle  protocol version 1001
 * pickle  sys_info {'protocol_version', 'little_endian', 'type_sizes'}
 * pickle  the object; persistent ids ('storage', storage_type, key, location, numel, view_metadata)
 * pickle  list of storage keys, in the order the storages follow
 * per key: int64 LE element count, then count * element size bytes
 * </pre>
 *
 * <p>Locations ({@code 'cuda:0'}...) are ignored: everything is loaded on the CPU, as with {@code map_location='cpu'}.
 * The whole file is read into memory (checkpoints here are a few MB); files over 2 GiB are refused.
 */
public final class PtReader {
    /** The legacy format's magic number, pickled as a Python int by {@code torch.save}. */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long LEGACY_PROTOCOL_VERSION = 1001;
    private static final int ZIP_LOCAL_HEADER_SIG = 0x04034b50;

    private PtReader() {
    }

    /**
     * Reads a checkpoint file.
     *
     * @throws CheckpointException for every failure (missing, unreadable, truncated, corrupt or refused file); the
     *                             message names the file and the reason
     */
    public static Checkpoint read(Path file) throws CheckpointException {
        byte[] bytes;
        try {
            // Only regular files: a FIFO would block for ever, /dev/zero never ends, a directory cannot be read.
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (attributes.isDirectory()) {
                throw new CheckpointException(file, "is a directory, not a checkpoint file");
            }
            if (!attributes.isRegularFile()) {
                throw new CheckpointException(file, "is not a regular file (a FIFO, socket or device); "
                        + "checkpoints are read from regular files only");
            }
            long sizeBytes = attributes.size();
            if (sizeBytes > StorageSlice.MAX_ARRAY_BYTES) {
                throw new CheckpointException(file, "file of " + sizeBytes + " bytes is larger than the 2 GiB "
                        + "this reader handles");
            }
            checkHeap(file, sizeBytes);
            bytes = readExactly(file, (int) sizeBytes);
        } catch (CheckpointException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new CheckpointException(file, "permission denied", e);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        return read(file, bytes);
    }

    /**
     * The whole file is held in memory, and its tensors take about as much again: refuse a file the heap cannot hold
     * with a message instead of an OutOfMemoryError.
     */
    private static void checkHeap(Path file, long sizeBytes) throws CheckpointException {
        Runtime rt = Runtime.getRuntime();
        long needed = 2 * sizeBytes;
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (needed > available) {
            System.gc(); // only on this rare path: garbage counts as used above
            available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (needed > available) {
            throw new CheckpointException(file, "file of " + (sizeBytes >> 20) + " MiB needs about " + (needed >> 20)
                    + " MiB of heap to load, only " + (available >> 20) + " MiB are free (maximum heap "
                    + (rt.maxMemory() >> 20) + " MiB, set with -Xmx)");
        }
    }

    /** The file's first {@code sizeBytes} bytes (its size when checked); a file that shrank since is truncated. */
    private static byte[] readExactly(Path file, int sizeBytes) throws IOException {
        byte[] bytes = new byte[sizeBytes];
        try (InputStream in = Files.newInputStream(file)) {
            int got = in.readNBytes(bytes, 0, sizeBytes);
            if (got < sizeBytes) {
                throw new CheckpointException(file, "truncated while reading: " + got + " of " + sizeBytes + " bytes");
            }
        }
        return bytes;
    }

    /**
     * The network weights of a checkpoint file: a bare state_dict, or the online network of a training checkpoint.
     * Shortcut for {@code read(file).stateDict()}.
     */
    public static LinkedHashMap<String, TensorData> readStateDict(Path file) throws CheckpointException {
        return read(file).stateDict();
    }

    /**
     * Reads a checkpoint held in memory.
     *
     * @param file only used in messages
     */
    public static Checkpoint read(Path file, byte[] bytes) throws CheckpointException {
        try {
            if (bytes.length >= 4 && le32(bytes, 0) == ZIP_LOCAL_HEADER_SIG) {
                return new Checkpoint(file, Checkpoint.Format.ZIP, readZip(file, bytes));
            }
            if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x80) {
                return new Checkpoint(file, Checkpoint.Format.LEGACY, readLegacy(file, bytes));
            }
        } catch (StackOverflowError e) {
            throw new CheckpointException(file, "nesting too deep");
        }
        throw new CheckpointException(file, bytes.length == 0 ? "empty file"
                : "not a PyTorch checkpoint (neither a zip archive nor a legacy pickle stream)");
    }

    // ---- zip ----

    private static Object readZip(Path file, byte[] bytes) throws CheckpointException {
        ZipArchive zip = new ZipArchive(file, bytes);
        ZipArchive.Entry pickle = null;
        String prefix = null;
        for (ZipArchive.Entry e : zip.entries().values()) {
            // data.pkl sits directly in the archive folder, whatever that folder is called.
            int slash = e.name().indexOf('/');
            if (slash > 0 && e.name().substring(slash + 1).equals("data.pkl")) {
                pickle = e;
                prefix = e.name().substring(0, slash + 1);
                break;
            }
        }
        if (pickle == null) {
            throw new CheckpointException(file, "zip archive has no <archive>/data.pkl entry; entries are "
                    + PyValues.repr(new ArrayList<Object>(zip.entries().keySet())));
        }
        ZipArchive.Entry byteOrder = zip.entries().get(prefix + "byteorder");
        if (byteOrder != null) {
            if (byteOrder.sizeBytes() > 16) {
                throw new CheckpointException(file, "byteorder entry has " + byteOrder.sizeBytes()
                        + " bytes (expected 'little')");
            }
            String order = new String(bytes, byteOrder.dataOffset(), byteOrder.sizeBytes(), StandardCharsets.US_ASCII);
            if (!order.equals("little")) {
                throw new CheckpointException(file, "byteorder '" + order + "' is not supported (expected 'little')");
            }
        }
        zip.verifyCrc(pickle);
        StorageSlice.Budget budget = new StorageSlice.Budget(bytes.length);
        String dataPrefix = prefix + "data/";
        Map<String, StorageSlice> loaded = new HashMap<>();
        PickleReader.Resolver resolver = new PickleReader.Resolver() {
            @Override
            public Object persistentLoad(Object pid) throws CheckpointException {
                StorageId id = StorageId.parse(file, pid, false);
                StorageSlice known = loaded.get(id.key());
                if (known != null) {
                    return known;
                }
                ZipArchive.Entry e = zip.entries().get(dataPrefix + id.key());
                if (e == null) {
                    throw new CheckpointException(file, "storage '" + id.key() + "' has no zip entry "
                            + dataPrefix + id.key());
                }
                long expectedBytes = id.numel() * id.dtype().bytes();
                if (id.numel() > StorageSlice.MAX_ARRAY_BYTES || e.sizeBytes() != expectedBytes) {
                    throw new CheckpointException(file, "storage '" + id.key() + "' declares " + id.numel() + " "
                            + id.dtype().displayName() + " elements (" + expectedBytes + " bytes) but its entry has "
                            + e.sizeBytes() + " bytes");
                }
                zip.verifyCrc(e);
                StorageSlice s = new StorageSlice(id.key(), id.dtype(), e.dataOffset(), id.numel());
                loaded.put(id.key(), s);
                return s;
            }

            @Override
            public TensorData rebuildTensor(Object storage, long storageOffset, long[] size, long[] stride)
                    throws CheckpointException {
                return requireStorage(file, storage).view(file, bytes, storageOffset, size, stride, budget);
            }
        };
        PickleReader reader = new PickleReader(file, "data.pkl", bytes, pickle.dataOffset(),
                pickle.dataOffset() + pickle.sizeBytes(), resolver);
        return reader.load();
    }

    // ---- legacy ----

    private static Object readLegacy(Path file, byte[] bytes) throws CheckpointException {
        PickleReader.Resolver noStorages = new PickleReader.Resolver() {
            @Override
            public Object persistentLoad(Object pid) throws CheckpointException {
                throw new CheckpointException(file, "unexpected persistent id in a legacy header pickle");
            }

            @Override
            public TensorData rebuildTensor(Object s, long o, long[] size, long[] stride) throws CheckpointException {
                throw new CheckpointException(file, "unexpected tensor in a legacy header pickle");
            }
        };
        PickleReader magicPickle = new PickleReader(file, "magic number", bytes, 0, bytes.length, noStorages);
        Object magic = magicPickle.load();
        BigInteger magicValue = magic instanceof BigInteger b ? b
                : magic instanceof Long l ? BigInteger.valueOf(l) : null;
        if (!LEGACY_MAGIC.equals(magicValue)) {
            throw new CheckpointException(file, "not a PyTorch checkpoint: legacy magic number is " + PyValues.repr(magic)
                    + ", expected 0x" + LEGACY_MAGIC.toString(16));
        }
        PickleReader protocolPickle = new PickleReader(file, "protocol version", bytes, magicPickle.position(),
                bytes.length, noStorages);
        Object protocol = protocolPickle.load();
        if (!(protocol instanceof Long version) || version != LEGACY_PROTOCOL_VERSION) {
            throw new CheckpointException(file, "legacy protocol version " + PyValues.repr(protocol) + " is not supported (expected "
                    + LEGACY_PROTOCOL_VERSION + ")");
        }
        PickleReader sysInfoPickle = new PickleReader(file, "sys_info", bytes, protocolPickle.position(),
                bytes.length, noStorages);
        Object sysInfo = sysInfoPickle.load();
        if (!(sysInfo instanceof Map<?, ?> info) || !Boolean.TRUE.equals(info.get("little_endian"))) {
            throw new CheckpointException(file, "sys_info " + PyValues.repr(sysInfo) + " does not say little_endian=True "
                    + "(big-endian checkpoints are not supported)");
        }
        int mainStart = sysInfoPickle.position();

        // Pass 1: run the main pickle only to learn where it ends and which storages it names (the storages
        // follow it in the file, so tensors can only be built in pass 2).
        Map<String, StorageId> named = new HashMap<>();
        PickleReader.Resolver collect = new PickleReader.Resolver() {
            @Override
            public Object persistentLoad(Object pid) throws CheckpointException {
                StorageId id = StorageId.parse(file, pid, true);
                StorageId previous = named.putIfAbsent(id.key(), id);
                if (previous != null && (previous.dtype() != id.dtype() || previous.numel() != id.numel())) {
                    throw new CheckpointException(file, "storage '" + id.key() + "' is declared twice differently");
                }
                return id;
            }

            @Override
            public TensorData rebuildTensor(Object s, long o, long[] size, long[] stride) {
                return new TensorData(DType.UINT8, new long[] {0}, new byte[0]); // placeholder, pass 1 only
            }
        };
        PickleReader pass1 = new PickleReader(file, "main pickle", bytes, mainStart, bytes.length, collect);
        pass1.load();
        PickleReader keysPickle = new PickleReader(file, "storage key list", bytes, pass1.position(), bytes.length,
                noStorages);
        Object keysObject = keysPickle.load();
        if (!(keysObject instanceof List<?> keys)) {
            throw new CheckpointException(file, "legacy storage key list is a " + PyValues.typeName(keysObject)
                    + ", expected a list");
        }
        Map<String, StorageSlice> storages = new HashMap<>();
        long p = keysPickle.position();
        for (Object keyObject : keys) {
            if (!(keyObject instanceof String key)) {
                throw new CheckpointException(file, "legacy storage key " + PyValues.repr(keyObject) + " is not a str");
            }
            StorageId id = named.get(key);
            if (id == null) {
                throw new CheckpointException(file, "storage '" + key + "' is listed but no tensor uses it");
            }
            if (storages.containsKey(key)) {
                throw new CheckpointException(file, "storage '" + key + "' is listed twice");
            }
            if (p + 8 > bytes.length) {
                throw new CheckpointException(file, "truncated: storage '" + key + "' header at offset " + p
                        + " is past the end of the file (" + bytes.length + " bytes)");
            }
            long count = le64(bytes, (int) p);
            long left = bytes.length - (p + 8);
            if (count < 0 || count > left / id.dtype().bytes()) {
                throw new CheckpointException(file, "truncated: storage '" + key + "' at offset " + p + " holds "
                        + count + " " + id.dtype().displayName() + " elements, but only " + left
                        + " bytes are left in the file");
            }
            if (count != id.numel()) {
                throw new CheckpointException(file, "storage '" + key + "' has " + count
                        + " elements in the file but " + id.numel() + " in its persistent id");
            }
            storages.put(key, new StorageSlice(key, id.dtype(), p + 8, count));
            p += 8 + count * id.dtype().bytes();
        }
        for (String key : named.keySet()) {
            if (!storages.containsKey(key)) {
                throw new CheckpointException(file, "storage '" + key + "' is used by a tensor but missing from the "
                        + "storage list");
            }
        }

        // Pass 2: the same pickle, now building tensors from the located storages.
        StorageSlice.Budget budget = new StorageSlice.Budget(bytes.length);
        PickleReader.Resolver build = new PickleReader.Resolver() {
            @Override
            public Object persistentLoad(Object pid) throws CheckpointException {
                StorageId id = StorageId.parse(file, pid, true);
                StorageSlice root = storages.get(id.key());
                if (id.viewKey() == null) {
                    return root;
                }
                // A legacy view_metadata (view_key, offset, view_size): a window on the root storage.
                if (id.viewOffset() < 0 || id.viewNumel() < 0 || id.viewOffset() > root.numel()
                        || id.viewNumel() > root.numel() - id.viewOffset()) {
                    throw new CheckpointException(file, "storage view '" + id.viewKey() + "' (offset "
                            + id.viewOffset() + ", " + id.viewNumel() + " elements) is out of the range of storage '"
                            + id.key() + "' (" + root.numel() + " elements)");
                }
                return new StorageSlice(id.viewKey(), root.dtype(),
                        root.byteOffset() + id.viewOffset() * root.dtype().bytes(), id.viewNumel());
            }

            @Override
            public TensorData rebuildTensor(Object storage, long storageOffset, long[] size, long[] stride)
                    throws CheckpointException {
                return requireStorage(file, storage).view(file, bytes, storageOffset, size, stride, budget);
            }
        };
        return new PickleReader(file, "main pickle", bytes, mainStart, bytes.length, build).load();
    }

    private static StorageSlice requireStorage(Path file, Object storage) throws CheckpointException {
        if (storage instanceof StorageSlice s) {
            return s;
        }
        throw new CheckpointException(file, "tensor rebuilt from a " + PyValues.typeName(storage)
                + ", expected a storage persistent id");
    }

    /**
     * A storage persistent id. Zip: {@code ('storage', storage_type, key, location, numel)}; legacy adds
     * {@code view_metadata}: None or {@code (view_key, offset, view_size)}.
     */
    record StorageId(DType dtype, String key, long numel, String viewKey, long viewOffset, long viewNumel) {
        static StorageId parse(Path file, Object pid, boolean legacy) throws CheckpointException {
            int expected = legacy ? 6 : 5;
            if (!(pid instanceof PyTuple t) || t.size() != expected || !"storage".equals(t.get(0))) {
                throw new CheckpointException(file, "persistent id " + describe(pid) + " is not a ('storage', ...) "
                        + "tuple of " + expected + " items");
            }
            if (!(t.get(1) instanceof PickleReader.StorageType type)) {
                throw new CheckpointException(file, "persistent id storage type is a " + describe(t.get(1))
                        + ", expected a torch.*Storage class");
            }
            if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
                throw new CheckpointException(file, "persistent id " + describe(pid)
                        + " needs a str key and a non-negative int element count");
            }
            if (!legacy || t.get(5) == null) {
                return new StorageId(type.dtype(), key, numel, null, 0, 0);
            }
            if (t.get(5) instanceof PyTuple v && v.size() == 3 && v.get(0) instanceof String viewKey
                    && v.get(1) instanceof Long offset && v.get(2) instanceof Long viewSize) {
                return new StorageId(type.dtype(), key, numel, viewKey, offset, viewSize);
            }
            throw new CheckpointException(file, "persistent id view_metadata " + describe(t.get(5))
                    + " is not (view_key, offset, size)");
        }

        private static String describe(Object o) {
            if (o instanceof PyTuple t) {
                List<String> parts = new ArrayList<>();
                for (Object item : t.items()) {
                    parts.add(item instanceof String s ? "'" + s + "'" : item instanceof PickleReader.StorageType st
                            ? "torch." + st.dtype().storageName() : PyValues.typeName(item));
                }
                return "(" + String.join(", ", parts) + ")";
            }
            return PyValues.typeName(o);
        }
    }

    private static int le32(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | b[p + 3] << 24;
    }

    private static long le64(byte[] b, int p) {
        return (le32(b, p) & 0xffffffffL) | (long) le32(b, p + 4) << 32;
    }
}
