package org.cmarl.engine.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Objects;

/**
 * A PyTorch {@code .pt} file read by {@link PtReader}: its container format and its unpickled top-level object,
 * with tensors already copied out of their storages into contiguous {@link TensorData} (see {@link PyValues} for the
 * Java representation of Python values).
 *
 * <p>Two kinds of files are understood: a bare {@code state_dict} (an OrderedDict or dict of str -> tensor, what
 * {@code torch.save(model.state_dict(), f)} writes, e.g. the published {@code SingleAgent.pt}) and the published
 * training checkpoint (a dict with {@code q_network_state_dict} etc., see {@link TrainingCheckpoint}). Anything else
 * the restricted unpickler accepts is {@link Kind#OTHER}: {@link #root()} still gives it.
 */
public final class Checkpoint {

    /** Container format of a {@code .pt} file. */
    public enum Format {
        /** {@code torch.save(..., _use_new_zipfile_serialization=False)}, and every file from PyTorch before 1.6. */
        LEGACY,
        /** The zip archive PyTorch writes by default since 1.6. */
        ZIP;

        /** Lower-case name, as printed by {@code ./rlm checkpoint}. */
        public String displayName() { return name().toLowerCase(Locale.ROOT); }
    }

    /** What the top-level object is. */
    public enum Kind { STATE_DICT, TRAINING_CHECKPOINT, OTHER }

    private final Path file;
    private final Format format;
    private final Object root;
    private final Kind kind;
    private final LinkedHashMap<String, TensorData> stateDict;
    private final TrainingCheckpoint training;

    /**
     * @throws CheckpointException if the root claims to be a training checkpoint but is malformed
     */
    public Checkpoint(Path file, Format format, Object root) throws CheckpointException {
        this.file = Objects.requireNonNull(file, "file");
        this.format = Objects.requireNonNull(format, "format");
        this.root = root;
        if (TrainingCheckpoint.looksLike(root)) {
            this.kind = Kind.TRAINING_CHECKPOINT;
            this.training = TrainingCheckpoint.fromPython(root, file);
            this.stateDict = training.qNetwork();
        } else if (PyValues.isStateDict(root)) {
            this.kind = Kind.STATE_DICT;
            this.training = null;
            this.stateDict = PyValues.stateDict(root, file, "state_dict");
        } else {
            this.kind = Kind.OTHER;
            this.training = null;
            this.stateDict = null;
        }
    }

    public Path file() { return file; }

    public Format format() { return format; }

    public Kind kind() { return kind; }

    /** The unpickled top-level object (see {@link PyValues} for the representation). */
    public Object root() { return root; }

    public boolean isTrainingCheckpoint() { return kind == Kind.TRAINING_CHECKPOINT; }

    /**
     * The network weights: the bare state_dict, or the online network ({@code q_network_state_dict}) of a training
     * checkpoint. Parameter name -> tensor in file order (PyTorch's registration order). The map is a fresh copy;
     * the tensors are shared (they are immutable in practice: do not write into their byte arrays).
     *
     * @throws CheckpointException if the file holds neither
     */
    public LinkedHashMap<String, TensorData> stateDict() throws CheckpointException {
        if (stateDict == null) {
            throw new CheckpointException(file, "holds a " + PyValues.typeName(root)
                    + ", neither a state_dict (dict of str -> tensor) nor a training checkpoint");
        }
        return new LinkedHashMap<>(stateDict);
    }

    /**
     * The training checkpoint fields.
     *
     * @throws CheckpointException if the file is not a training checkpoint
     */
    public TrainingCheckpoint training() throws CheckpointException {
        if (training == null) {
            throw new CheckpointException(file, "is not a training checkpoint (no '"
                    + TrainingCheckpoint.KEY_Q_NETWORK + "' entry); it holds a " + PyValues.typeName(root));
        }
        return training;
    }

    @Override
    public String toString() {
        return "Checkpoint[" + file + ", " + format.displayName() + ", " + kind + "]";
    }
}
