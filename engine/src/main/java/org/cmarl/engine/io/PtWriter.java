package org.cmarl.engine.io;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code .pt} files in PyTorch's zip format, readable by Python's {@code torch.load} (also with
 * {@code weights_only=True}) and by {@link PtReader}.
 *
 * <p>Layout, as {@code torch.save} writes it (PyTorch 1.13's pickle and entry order, plus the {@code byteorder}
 * record that later versions add), {@code <archive>} being the file name without its extension:
 * <pre>
 * &lt;archive&gt;/data.pkl      pickle protocol 2 of the object (see {@link PickleWriter})
 * &lt;archive&gt;/byteorder     "little"
 * &lt;archive&gt;/data/&lt;key&gt;    one entry per tensor: its values, row-major, little endian (keys "0", "1"... sorted as text)
 * &lt;archive&gt;/version       "3\n"
 * </pre>
 * Entries are stored uncompressed, their data aligned to 64 bytes (see {@link ZipArchiveWriter}).
 *
 * <p>Files are written atomically: to a temporary file in the same directory, flushed to disk, then renamed over the
 * target ({@link StandardCopyOption#ATOMIC_MOVE}), so a crash never leaves a half-written checkpoint under the name.
 */
public final class PtWriter {
    private static final String FORMAT_VERSION = "3\n";
    private static final String BYTE_ORDER = "little";

    private PtWriter() {
    }

    /**
     * Writes a bare state_dict, as {@code torch.save(model.state_dict(), file)}: an OrderedDict of name -> tensor in
     * the map's iteration order. (To keep a state_dict's {@code _metadata} attribute, pass the {@link PyOrderedDict}
     * read by {@link PtReader} to {@link #write}.)
     */
    public static void writeStateDict(Path file, Map<String, TensorData> stateDict) throws CheckpointException {
        write(file, new PyOrderedDict(stateDict));
    }

    /** Writes the published training checkpoint dict (see {@link TrainingCheckpoint#toPython()}). */
    public static void writeTrainingCheckpoint(Path file, TrainingCheckpoint checkpoint) throws CheckpointException {
        write(file, checkpoint.toPython());
    }

    /**
     * Writes any picklable value (see {@link PyValues}: null, Boolean, integers, Double, String, PyTuple, List, Map,
     * PyOrderedDict, TensorData, nested).
     *
     * @throws IllegalArgumentException for a value that cannot be pickled (e.g. byte[], arbitrary objects)
     * @throws CheckpointException      if the file cannot be written
     */
    public static void write(Path file, Object root) throws CheckpointException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        PickleWriter pickler = new PickleWriter();
        byte[] pickle = pickler.dump(root); // before creating any file: an unpicklable value fails here
        Path temp = null;
        try {
            // Not Files.createTempFile: it makes the file owner-only (0600); a checkpoint gets the usual umask.
            Path candidate = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime())
                    + ".tmp");
            FileChannel opened = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            temp = candidate; // ours from here on: deleted if anything below fails
            try (FileChannel channel = opened) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                writeArchive(new ZipArchiveWriter(out), archiveName(target), pickle, pickler.storages());
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new CheckpointException(file, "the file system of " + dir + " cannot rename atomically", e);
            }
            temp = null;
            AtomicFiles.syncDirectory(dir); // the rename itself on disk, not only the file's bytes
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot write: " + AtomicFiles.reason(e), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the original error is what matters
                }
            }
        }
    }

    /** The whole archive in memory (what {@link #write} puts on disk), with the given archive folder name. */
    public static byte[] toBytes(String archiveName, Object root) {
        PickleWriter pickler = new PickleWriter();
        byte[] pickle = pickler.dump(root);
        List<TensorData> tensors = pickler.storages();
        long total = pickle.length;
        for (TensorData t : tensors) {
            total += t.data().length + 2L * ZipArchiveWriter.ALIGNMENT_BYTES + 2L * archiveName.length() + 80;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(total + 4096, Integer.MAX_VALUE - 16));
        try {
            writeArchive(new ZipArchiveWriter(bytes), archiveName, pickle, tensors);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("archive too large: " + e.getMessage(), e);
        }
    }

    private static void writeArchive(ZipArchiveWriter zip, String archiveName, byte[] pickle, List<TensorData> tensors)
            throws IOException {
        String prefix = archiveName + "/";
        zip.add(prefix + "data.pkl", pickle);
        zip.add(prefix + "byteorder", BYTE_ORDER.getBytes(StandardCharsets.US_ASCII));
        // torch.save writes the storages sorted by key as text ("0", "1", "10", "11", ..., "2", ...).
        TreeMap<String, TensorData> sorted = new TreeMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            sorted.put(Integer.toString(i), tensors.get(i));
        }
        for (Map.Entry<String, TensorData> e : sorted.entrySet()) {
            zip.add(prefix + "data/" + e.getKey(), e.getValue().data());
        }
        zip.add(prefix + "version", FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
        zip.finish();
    }

    /** PyTorch names the archive folder after the file, without its extension. */
    static String archiveName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return stem.isEmpty() ? "archive" : stem;
    }
}
