package org.cmarl.engine.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.ObservationGeometry;

/**
 * Network3d and CommNet (SPEC.md section 4) written as libtorch ops, for any number of agents.
 *
 * <p>Agents are folded into the batch: the shared trunk runs one conv3d per layer on
 * {@code (batch * agents, 4, 45, 45, 45)}; the per-agent heads run as one {@code baddbmm} per layer over the
 * agents' weights stacked as {@code (agents, in, out)}. The published per-agent parameter names
 * ({@code fc1.<i>.weight} of shape {@code (out, in)}, ...) exist only at the checkpoint boundary
 * ({@link #loadStateDict}, {@link #stateDict}), as views into the stacked tensors.
 *
 * <p>What lives where: the layer shapes in {@link LayerShapes}, the published names and shapes in
 * {@link PublishedParameters}, the checkpoint fit test in {@link CheckpointCompatibility}, the cached inference
 * copies of the trunk in {@link InferenceWeights}; this class owns the parameter tensors, maps them to and from the
 * published names, and runs the forward passes.
 *
 * <p>One owner: {@link #close()} frees every parameter (and gradient) tensor, once; using the network after
 * close throws {@link IllegalStateException}. Per-call temporaries live in a {@link PointerScope}.
 */
public final class QNetwork implements AutoCloseable {
    private static final int TRUNK_FEATURES = LayerShapes.TRUNK_FEATURES;
    private static final long[] ONES3 = {1, 1, 1};
    private static final long[] ZEROS3 = {0, 0, 0};
    private static final long[] TWOS3 = {2, 2, 2};

    private final NetworkConfig config;
    private final Device device;
    private final int agents;

    // Trunk, published shapes: conv weight (out, in, k, k, k), bias (out), prelu (1).
    private final Tensor[] convW = new Tensor[4];
    private final Tensor[] convB = new Tensor[4];
    private final Tensor[] convPrelu = new Tensor[4];
    // Heads, stacked: weight (agents, in, out), bias (agents, 1, out), prelu (agents).
    private final Tensor[] fcW = new Tensor[3];
    private final Tensor[] fcB = new Tensor[3];
    private final Tensor[] headPrelu = new Tensor[2];
    /** CommNet attention: comm_att{k+1} stacked as (agents, agents), row i = agent i's logits; null if off. */
    private final Tensor[] commAtt = new Tensor[3];
    /** Team-reward attention logits (agents, agents), or null. */
    private final Tensor rewAtt;

    /** Every parameter (internal layout), in a fixed order: what the optimiser updates. */
    private final List<Tensor> parameters = new ArrayList<>();
    /** The published names and shapes, in published state_dict order. */
    private final PublishedParameters published;
    /** {@link #published}, each with the view into its internal parameter. */
    private final List<Slot> slots = new ArrayList<>();
    private boolean closed;

    /** Arithmetic of {@link #forward} (acting, evaluation, play); float32 unless set. */
    private Precision precision = Precision.FP32;
    /** Arithmetic of {@link #forwardTensor} (the learner's forward and backward); float32 unless set. */
    private Precision trainingPrecision = Precision.FP32;
    /**
     * The trunk's weights as {@link #forward} feeds them to oneDNN: channels-last, in {@link #precision}'s dtype
     * (CPU), built once and rebuilt only when a parameter changed (libtorch's version counters, bumped by every
     * in-place update: the optimiser step, a weight load, the target sync). Null until the first forward.
     */
    private InferenceWeights inferenceWeights;
    /**
     * One observation-agent per CPU trunk call: the published arithmetic (PyTorch runs each agent's trunk at batch
     * 1), so the trunk features do not depend on {@code --batch_episodes}, the agent count or the thread count;
     * and per observation no slower than 2-8 rows on the 2-core machines of benchmarks/README.md.
     */
    static final int DEFAULT_TRUNK_ROWS_PER_CALL = 1;
    private int trunkRowsPerCall = DEFAULT_TRUNK_ROWS_PER_CALL;
    /** CPU inference threads at one libtorch thread each; created at the first multi-row forward, closed with us. */
    private TrunkWorkers trunkWorkerPool;
    private boolean trunkWorkersEnabled = true;

    /** One published parameter and how to view it inside the internal tensor that holds it. */
    private record Slot(PublishedParameters.Parameter parameter, Tensor owner, UnaryOperator<Tensor> view) {
        String name() { return parameter.name(); }
        long[] shape() { return parameter.shape(); }
    }

    private QNetwork(NetworkConfig config, Device device) {
        Torch.ensureLoaded();
        this.config = config;
        this.device = device;
        this.agents = config.agents();
        LayerShapes shapes = new LayerShapes(config);
        try (PointerScope scope = new PointerScope()) {
            for (int l = 0; l < LayerShapes.CONV_LAYERS; l++) {
                convW[l] = newParam(scope, LayerShapes.convWeight(l));
                convB[l] = newParam(scope, LayerShapes.convOut(l));
                convPrelu[l] = newParam(scope, 1);
            }
            for (int l = 0; l < LayerShapes.FC_LAYERS; l++) {
                fcW[l] = newParam(scope, agents, shapes.fcIn(l), shapes.fcOut(l));
                fcB[l] = newParam(scope, agents, 1, shapes.fcOut(l));
            }
            headPrelu[0] = newParam(scope, agents);
            headPrelu[1] = newParam(scope, agents);
            if (config.commAttention()) {
                for (int l = 0; l < LayerShapes.FC_LAYERS; l++) {
                    commAtt[l] = newParam(scope, agents, agents);
                }
            }
            rewAtt = config.rewardAttention() ? newParam(scope, agents, agents) : null;
        }
        this.published = new PublishedParameters(config);
        for (PublishedParameters.Parameter p : published.all()) {
            final int l = p.layer();
            final int agent = p.agent();
            slots.add(switch (p.role()) {
                case CONV_WEIGHT -> new Slot(p, convW[l], t -> t.alias());
                case CONV_BIAS -> new Slot(p, convB[l], t -> t.alias());
                case CONV_PRELU -> new Slot(p, convPrelu[l], t -> t.alias());
                // stacked (agents, in, out) -> agent's published (out, in)
                case FC_WEIGHT -> new Slot(p, fcW[l], t -> t.select(0, agent).t());
                case FC_BIAS -> new Slot(p, fcB[l], t -> t.select(0, agent).select(0, 0));
                case HEAD_PRELU -> new Slot(p, headPrelu[l], t -> t.narrow(0, agent, 1));
                case COMM_ATTENTION -> new Slot(p, commAtt[l], t -> t.select(0, agent));
                case REWARD_ATTENTION -> new Slot(p, rewAtt, t -> t.alias());
            });
        }
    }

    private Tensor newParam(PointerScope scope, long... shape) {
        Tensor t;
        try (org.bytedeco.pytorch.Device d = device.toTorch()) {
            t = torch.zeros(shape, new TensorOptions(torch.ScalarType.Float).device(
                    new DeviceOptional(d)));
        }
        t.set_requires_grad(true);
        // Owned by this network, not by the construction scope.
        Torch.keep(scope, t);
        parameters.add(t);
        return t;
    }

    /**
     * A network with the published initialisation drawn from {@code seed}: Xavier-uniform for every conv and
     * linear weight (bound {@code sqrt(6 / (fan_in + fan_out))}), PyTorch's default for biases
     * ({@code uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))}), PReLU slopes 0.25, attention logits standard normal.
     * The same seed gives the same weights (not the same as PyTorch's: a different generator).
     */
    public static QNetwork create(NetworkConfig config, long seed, Device device) {
        QNetwork net = new QNetwork(config, device);
        net.initialise(new SplittableRandom(seed));
        return net;
    }

    private void initialise(SplittableRandom random) {
        LinkedHashMap<String, TensorData> init = new LinkedHashMap<>();
        double lastFanIn = 1;
        for (Slot s : slots) {
            final long[] shape = s.shape();
            int n = (int) TensorData.numel(shape);
            float[] v = new float[n];
            switch (s.parameter().role()) {
                case CONV_WEIGHT, FC_WEIGHT -> {
                    // Xavier-uniform over the published (out, in, k...) shape
                    long receptive = 1;
                    for (int d = 2; d < shape.length; d++) {
                        receptive *= shape[d];
                    }
                    double fanIn = shape[1] * receptive;
                    double fanOut = shape[0] * receptive;
                    double bound = Math.sqrt(6.0 / (fanIn + fanOut));
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                    }
                    lastFanIn = fanIn;
                }
                case CONV_BIAS, FC_BIAS -> {
                    // A bias always follows its weight in slot order, so lastFanIn is that weight's fan-in.
                    double bound = 1 / Math.sqrt(lastFanIn);
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                    }
                }
                case CONV_PRELU, HEAD_PRELU -> Arrays.fill(v, 0.25f);
                case COMM_ATTENTION, REWARD_ATTENTION -> {
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) nextGaussian(random);
                    }
                }
            }
            init.put(s.name(), floatTensorData(shape, v));
        }
        loadStateDict(init);
    }

    private static double nextGaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian before Java 17's RandomGenerator default.
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    static TensorData floatTensorData(long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new TensorData(DType.FLOAT32, shape, b.array());
    }

    public NetworkConfig config() { return config; }
    public Device device() { return device; }

    /** The published parameter names, in published state_dict order. */
    public List<String> parameterNames() {
        return published.names();
    }

    /** Number of scalar parameters (Network3d 1 agent: 550,860; CommNet 3 agents: 1,374,684). */
    public long parameterCount() {
        return published.count();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Checkpoint boundary

    /**
     * Copies published-name tensors into the network. Names and shapes must match exactly; the error lists
     * what differs (agent count, architecture, attention, missing and unexpected names, shapes). An extra
     * {@code rew_att} is ignored when the network has no team-reward attention (it does not change Q-values).
     */
    public void loadStateDict(Map<String, TensorData> stateDict) {
        checkOpen();
        CheckpointCompatibility.check(config, published, describe(), stateDict);
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Slot s : slots) {
                TensorData td = stateDict.get(s.name());
                Tensor src = cpuTensor(td);
                s.view.apply(s.owner).copy_(src);
            }
        }
    }

    /** e.g. {@code CommNet (3 agents, attention)}. */
    public String describe() {
        return config.architecture().cliName() + " (" + agents + " agent" + (agents == 1 ? "" : "s")
                + (config.commAttention() ? ", attention" : "") + (config.rewardAttention() ? ", rew_att" : "")
                + ")";
    }

    /** The weights under their published names and shapes, in published order (float32, CPU copies). */
    public LinkedHashMap<String, TensorData> stateDict() {
        checkOpen();
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Slot s : slots) {
                out.put(s.name(), toTensorData(s.view.apply(s.owner), s.shape()));
            }
        }
        return out;
    }

    /**
     * The gradient of one published parameter after a backward pass (zeros if none was computed), under the
     * published shape; for tests and diagnostics.
     */
    public TensorData gradient(String publishedName) {
        checkOpen();
        for (Slot s : slots) {
            if (s.name().equals(publishedName)) {
                try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                    Tensor g = s.owner.grad();
                    if (!g.defined()) {
                        return floatTensorData(s.shape(), new float[(int) TensorData.numel(s.shape())]);
                    }
                    return toTensorData(s.view.apply(g), s.shape());
                }
            }
        }
        throw new IllegalArgumentException("no parameter named '" + publishedName + "' in " + describe()
                + "; names are " + parameterNames());
    }

    /** Copies every weight of {@code source} (same configuration) into this network: the target-network sync. */
    public void copyWeightsFrom(QNetwork source) {
        checkOpen();
        source.checkOpen();
        if (!source.config.equals(config)) {
            throw new IllegalArgumentException("cannot copy weights of " + source.describe() + " into " + describe());
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (int i = 0; i < parameters.size(); i++) {
                parameters.get(i).copy_(source.parameters.get(i));
            }
        }
    }

    private Tensor cpuTensor(TensorData td) {
        // The BytePointer copies the Java bytes off-heap; clone() gives libtorch its own storage before the
        // pointer is freed with the scope.
        BytePointer bytes = new BytePointer(td.data());
        Tensor t = torch.from_blob(bytes, td.shape(), new TensorOptions(torch.ScalarType.Float));
        return t.clone();
    }

    private static TensorData toTensorData(Tensor t, long[] shape) {
        Tensor c = t.detach().to(torch.ScalarType.Float).cpu().contiguous();
        int n = (int) c.numel();
        byte[] data = new byte[n * 4];
        new BytePointer(c.data_ptr()).capacity(data.length).get(data);
        return new TensorData(DType.FLOAT32, shape, data);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Forward

    /**
     * Q-values of the first {@code batch} observations of {@code observations}, without gradient, written to
     * {@code qOut[(b * agents + a) * 6 + action]}.
     *
     * <p>Each batch entry's frame order is its {@link FrameRing#oldestSlot()} ({@link ObservationBuffer#ring}):
     * <ul>
     *   <li>all entries with the same oldest slot {@code p} (one environment acting, or rows copied oldest first):
     *       conv0 reads the ring as it is with its input-channel weights rolled by {@code p},
     *       {@code W'[:, c] = W[:, (c - p) & 3]}: no copy of the input, and bit for bit what this path has always
     *       computed for {@code p} ({@code p = 0} is the published order);</li>
     *   <li>entries at different phases (several environments stepped together): the frames are gathered into the
     *       published order first (one {@code index_select}, 4 x 45^3 values per agent and entry) and conv0 uses the
     *       published weights: bit for bit the forward of a buffer holding the same frames oldest first.</li>
     * </ul>
     * Rolled weights and gathered frames are the same function, rounded differently (the channel sum runs in
     * another order): within ~1e-6 relative, not bit-identical.
     */
    public void forward(ObservationBuffer observations, int batch, float[] qOut) {
        checkOpen();
        if (observations.agents() != agents) {
            throw new IllegalArgumentException("observations hold " + observations.agents() + " agents, " + describe()
                    + " needs " + agents);
        }
        int n = batch * agents * ObservationGeometry.ACTIONS;
        if (qOut.length < n) {
            throw new IllegalArgumentException("qOut has " + qOut.length + " values, needs " + n);
        }
        if (batch < 1 || batch > observations.capacityBatch()) {
            throw new IllegalArgumentException("batch=" + batch + ", capacity " + observations.capacityBatch());
        }
        final int phase = observations.ring(0).oldestSlot();
        boolean samePhase = true;
        for (int b = 1; b < batch; b++) {
            samePhase &= observations.ring(b).oldestSlot() == phase;
        }
        InferenceWeights w = inferenceWeights();
        // InferenceMode, not only no-grad: no version counters or view tracking on the temporaries.
        try (PointerScope scope = new PointerScope(); InferenceMode inference = new InferenceMode()) {
            Tensor input = observations.tensor(batch);
            Tensor q = samePhase ? inferenceTensor(input, phase, w).cpu().contiguous()
                    : inferenceTensor(oldestFirst(input, observations, batch), 0, w).cpu().contiguous();
            new FloatPointer(q.data_ptr()).capacity(n).get(qOut, 0, n);
        }
    }

    /** The first {@code batch} entries with every agent's frames gathered oldest first, in the caller's scope. */
    private Tensor oldestFirst(Tensor input, ObservationBuffer observations, int batch) {
        final int frames = ObservationGeometry.FRAMES;
        long[] order = new long[batch * agents * frames];
        for (int b = 0; b < batch; b++) {
            int p = observations.ring(b).oldestSlot();
            for (int a = 0; a < agents; a++) {
                int base = (b * agents + a) * frames;
                for (int k = 0; k < frames; k++) {
                    order[base + k] = base + ObservationGeometry.slotOf(p, k);
                }
            }
        }
        Tensor index;
        try (LongPointer values = new LongPointer(order)) {
            index = torch.from_blob(values, new long[] {order.length}, new TensorOptions(torch.ScalarType.Long))
                    .clone();
        }
        return input.reshape(order.length, ObservationGeometry.FRAME_VOXELS).index_select(0, index)
                .reshape(batch, agents, frames,
                ObservationGeometry.ROI_VOXELS, ObservationGeometry.ROI_VOXELS, ObservationGeometry.ROI_VOXELS);
    }

    /**
     * Sets the arithmetic of {@link #forward} (acting, evaluation, play). {@link Precision#FP32} is the published
     * arithmetic, bit for bit; {@link Precision#BF16} runs the four convolutions with bfloat16 weights and
     * activations (oneDNN on the CPU, autocast on CUDA); the heads stay float32. The parameters stay float32.
     */
    public void setPrecision(Precision precision) {
        checkOpen();
        if (precision == null) {
            throw new IllegalArgumentException("precision is null");
        }
        if (precision != this.precision) {
            this.precision = precision;
            closeInferenceWeights();
        }
    }

    public Precision precision() { return precision; }

    /**
     * Sets the arithmetic of the learner's forward and backward ({@link Precision#BF16}: the products of the
     * convolutions and heads in bfloat16 under libtorch's autocast; the parameters, their gradients, Adam's moments,
     * the Q-values handed to the loss and every checkpoint stay float32).
     */
    public void setTrainingPrecision(Precision precision) {
        checkOpen();
        if (precision == null) {
            throw new IllegalArgumentException("precision is null");
        }
        this.trainingPrecision = precision;
    }

    public Precision trainingPrecision() { return trainingPrecision; }

    private long[] parameterVersions() {
        long[] v = new long[parameters.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = parameters.get(i).__dispatch__version();
        }
        return v;
    }

    private InferenceWeights inferenceWeights() {
        long[] versions = parameterVersions();
        if (inferenceWeights != null && inferenceWeights.isCurrent(versions)) {
            return inferenceWeights;
        }
        closeInferenceWeights();
        torch.ScalarType dtype = precision == Precision.BF16 && device != Device.CUDA ? torch.ScalarType.BFloat16
                : torch.ScalarType.Float;
        inferenceWeights = InferenceWeights.copyOf(convW, convB, convPrelu, versions, dtype);
        return inferenceWeights;
    }

    private void closeInferenceWeights() {
        if (inferenceWeights != null) {
            inferenceWeights.close();
            inferenceWeights = null;
        }
    }

    /**
     * {@link #forwardTensor}'s arithmetic without autograd, from the cached trunk weights. In float32, bit for bit
     * what {@link #forwardTensor}'s trunk gives one observation-agent at a time with the heads on the whole batch
     * (pooling before PReLU where the slope is positive changes no value; {@code QNetworkForwardTest} checks it); or
     * the trunk in bfloat16.
     */
    private Tensor inferenceTensor(Tensor observationsHost, int framePhase, InferenceWeights w) {
        long batch = observationsHost.size(0);
        long rows = batch * agents;
        Tensor in = observationsHost.reshape(rows, ObservationGeometry.FRAMES, ObservationGeometry.ROI_VOXELS,
                ObservationGeometry.ROI_VOXELS, ObservationGeometry.ROI_VOXELS);
        Tensor w0 = framePhase == 0 ? w.convW[0]
                : w.convW[0].roll(new long[] {framePhase}, 1).contiguous(torch.MemoryFormat.ChannelsLast3d);
        // CPU: the trunk runs on at most trunkRowsPerCall observation-agents at a time. Per observation, a bigger
        // conv call is no faster on a CPU (benchmarks/README.md, "bfloat16 and batching"), and its activations
        // (conv0: 10 MB an observation-agent) grow past what malloc keeps for reuse: above that, every call maps
        // fresh pages and pays a page fault per 4 KB (2-3x the convolutions' own time on a VM). CUDA: one call.
        // CPU at more than one thread: with at least a row per worker, the rows are shared among one-thread
        // workers (each core runs whole convolutions: 14-15 ms an observation on the EPYC VM at batch 4-8 against
        // 15-16 ms for libtorch's two OpenMP threads on every call); fewer rows than workers (a batch-1
        // evaluation or play step) run on the caller with libtorch's OpenMP threads (16 ms against 27-32 ms
        // for one worker). benchmarks/README.md, "Memory and threads on the EPYC VM".
        int workers = device == Device.CUDA ? 0 : trunkWorkers(rows);
        Tensor x = workers > 0 ? trunkOnWorkers(in, w0, w, workers) : trunkInChunks(in, w0, w);
        in.close();
        if (framePhase != 0) {
            w0.close();
        }
        x = release(x, x.reshape(batch, agents, TRUNK_FEATURES).transpose(0, 1));
        x = release(x, heads(x));
        return release(x, x.transpose(0, 1).contiguous());
    }

    /** {@link #trunk} on at most {@link #trunkRowsPerCall} rows at a time (CUDA: all rows in one call). */
    private Tensor trunkInChunks(Tensor in, Tensor w0, InferenceWeights w) {
        long rows = in.size(0);
        long chunk = device == Device.CUDA ? rows : Math.min(rows, trunkRowsPerCall);
        if (chunk == rows) {
            return trunk(in, w0, w);
        }
        TensorVector parts = new TensorVector();
        for (long start = 0; start < rows; start += chunk) {
            Tensor part = in.narrow(0, start, Math.min(chunk, rows - start));
            parts.push_back(trunk(part, w0, w));
            part.close();
        }
        Tensor x = torch.cat(parts, 0);
        closeAll(parts);
        return x;
    }

    private static void closeAll(TensorVector parts) {
        for (long i = 0; i < parts.size(); i++) {
            parts.get(i).close();
        }
        parts.close();
    }

    /**
     * CPU with more than one libtorch thread: the rows split into {@code workers} contiguous parts, each run by
     * its own thread at one libtorch thread ({@link TrunkWorkers}); the parts' features joined in row order. Each
     * row's arithmetic is the one-thread arithmetic, so the values do not depend on the thread count.
     */
    private Tensor trunkOnWorkers(Tensor in, Tensor w0, InferenceWeights w, int workers) {
        long rows = in.size(0);
        List<Callable<Tensor>> tasks = new ArrayList<>(workers);
        long start = 0;
        for (int k = 0; k < workers; k++) {
            long n = (rows - start) / (workers - k);
            final long from = start;
            final long count = n;
            tasks.add(() -> {
                try (PointerScope scope = new PointerScope(); InferenceMode inference = new InferenceMode()) {
                    Tensor part = in.narrow(0, from, count);
                    return Torch.keep(scope, trunkInChunks(part, w0, w));
                }
            });
            start += n;
        }
        TensorVector parts = new TensorVector();
        try {
            for (Tensor t : trunkWorkerPool.run(tasks)) {
                parts.push_back(t);
                t.close();
            }
            return torch.cat(parts, 0);
        } finally {
            closeAll(parts);
        }
    }

    /**
     * Whether the CPU trunk at more than one libtorch thread runs on {@link TrunkWorkers} (default) or on libtorch's
     * own intra-op threads; for measuring the trade-off. Results are the same either way.
     */
    public void setTrunkWorkers(boolean enabled) {
        this.trunkWorkersEnabled = enabled;
    }

    /**
     * Worker threads of the CPU trunk for a call of {@code rows} rows: one per libtorch intra-op thread; 0 (the
     * caller runs it) at one thread or with fewer rows than threads. The pool is started on first use only.
     */
    private int trunkWorkers(long rows) {
        int threads = Torch.threads();
        if (threads <= 1 || !trunkWorkersEnabled || rows < threads) {
            return 0;
        }
        if (trunkWorkerPool == null || trunkWorkerPool.size() != threads) {
            if (trunkWorkerPool != null) {
                trunkWorkerPool.close();
            }
            trunkWorkerPool = new TrunkWorkers(threads);
        }
        return threads;
    }

    /** The four conv blocks on {@code (rows, 4, 45, 45, 45)} host observations: {@code (rows, 64, 2, 2, 2)} float32. */
    private Tensor trunk(Tensor observationsHost, Tensor w0, InferenceWeights w) {
        Tensor x = observationsHost;
        if (device == Device.CUDA) {
            try (org.bytedeco.pytorch.Device d = device.toTorch()) {
                x = x.to(d, x.scalar_type(), true, false, new MemoryFormatOptional());
            }
        } else {
            x = x.alias();
        }
        // SPEC.md section 4: the published network divides its input by 255 first (float32 division), then
        // (bf16 only) rounds the quotient to bfloat16.
        x = release(x, x.to(torch.ScalarType.Float));
        x = release(x, x.div(new Scalar(255.0)));
        if (w.dtype != torch.ScalarType.Float) {
            x = release(x, x.to(w.dtype));
        }
        boolean autocast = precision == Precision.BF16 && device == Device.CUDA;
        try (Autocast a = autocast ? Autocast.bf16(device) : null) {
            x = inferenceBlock(x, w0, w, 0, true);
            x = inferenceBlock(x, w.convW[1], w, 1, true);
            x = inferenceBlock(x, w.convW[2], w, 2, true);
            x = inferenceBlock(x, w.convW[3], w, 3, false);
        }
        if (x.scalar_type() != torch.ScalarType.Float) {
            x = release(x, x.to(torch.ScalarType.Float));
        }
        return x;
    }

    /**
     * {@link #convBlock} from cached channels-last weights (no weight copy per call), pooling before PReLU where that
     * gives the same values ({@link InferenceWeights#poolBeforePrelu}).
     */
    private static Tensor inferenceBlock(Tensor x, Tensor weight, InferenceWeights w, int layer, boolean pool) {
        long[] padding = layer == 3 ? ZEROS3 : ONES3;
        Tensor xl = release(x, x.contiguous(torch.MemoryFormat.ChannelsLast3d));
        Tensor y = torch.conv3d(xl, weight, new TensorOptional(w.convB[layer]), ONES3, padding, ONES3, 1);
        xl.close();
        if (pool && w.poolBeforePrelu[layer]) {
            y = release(y, torch.max_pool3d(y, TWOS3, TWOS3, ZEROS3, ONES3, false));
            return release(y, torch.prelu(y, w.convPrelu[layer]));
        }
        y = release(y, torch.prelu(y, w.convPrelu[layer]));
        if (pool) {
            y = release(y, torch.max_pool3d(y, TWOS3, TWOS3, ZEROS3, ONES3, false));
        }
        return y;
    }

    /**
     * How many observation-agents one CPU trunk call takes at most (default {@value #DEFAULT_TRUNK_ROWS_PER_CALL});
     * for measuring the trade-off ({@code ForwardBatchMain}). More rows per call give the same Q-values within
     * float32 rounding (oneDNN blocks a bigger batch differently), not bit for bit.
     */
    public void setTrunkRowsPerCall(int rowsPerCall) {
        if (rowsPerCall < 1) {
            throw new IllegalArgumentException("trunk rows per call " + rowsPerCall + ", expected at least 1");
        }
        this.trunkRowsPerCall = rowsPerCall;
    }

    /** Q-values {@code (batch, agents, 6)} on this network's device, in the caller's PointerScope. */
    Tensor forwardTensor(Tensor observationsHost, int framePhase) {
        if (framePhase < 0 || framePhase >= ObservationGeometry.FRAMES) {
            throw new IllegalArgumentException("framePhase=" + framePhase + ", expected 0..3");
        }
        // Memory: each intermediate's Java wrapper is closed as soon as the next op has consumed it, instead of at
        // the end of the caller's PointerScope. A wrapper is one reference to the storage; autograd keeps its own
        // reference to what backward needs, so only what nothing needs is freed, right away. (Holding every
        // wrapper to the end of the scope kept ~7 GB of CommNet-5 batch-64 activations alive.)
        Tensor in = observationsHost;
        boolean ownInput = false;
        if (device == Device.CUDA) {
            // The one explicit host -> device copy, from pinned memory when the buffer was allocated for CUDA (see
            // ObservationBuffer); uint8 travels as bytes and is widened on the device. Non-blocking is safe: the
            // caller cannot rewrite the buffer before the results are read back, which waits for the stream.
            try (org.bytedeco.pytorch.Device d = device.toTorch()) {
                in = in.to(d, in.scalar_type(), true, false, new MemoryFormatOptional());
                ownInput = true;
            }
        }
        long batch = in.size(0);
        Tensor x = in.reshape(batch * agents, ObservationGeometry.FRAMES, ObservationGeometry.ROI_VOXELS,
                ObservationGeometry.ROI_VOXELS, ObservationGeometry.ROI_VOXELS);
        if (ownInput) {
            in.close();
        }
        // SPEC.md section 4: the published network divides its input by 255 first (float32 division).
        x = release(x, x.to(torch.ScalarType.Float));
        x = release(x, x.div(new Scalar(255.0)));
        if (trainingPrecision == Precision.BF16) {
            try (Autocast a = Autocast.bf16(device)) {
                x = layers(x, batch, framePhase);
            }
            // The loss sees float32 Q-values; backward casts the gradient back through this op.
            return release(x, x.to(torch.ScalarType.Float));
        }
        return layers(x, batch, framePhase);
    }

    /** The trunk and heads of {@link #forwardTensor} from the scaled input; consumes {@code x}. */
    private Tensor layers(Tensor x, long batch, int framePhase) {
        // A ring of frames with the oldest in slot p is the chronological stack rotated by p: rotating conv0's
        // input-channel slices the same way (W'[:, c] = W[:, (c - p) mod 4]) gives the same convolution.
        Tensor w0 = framePhase == 0 ? convW[0] : convW[0].roll(new long[] {framePhase}, 1);
        x = convBlock(x, w0, 0, true);
        if (framePhase != 0) {
            w0.close();
        }
        x = convBlock(x, convW[1], 1, true);
        x = convBlock(x, convW[2], 2, true);
        x = convBlock(x, convW[3], 3, false);
        // (batch*agents, 64, 2, 2, 2) -> (agents, batch, 512): the heads' batched-matmul layout.
        x = release(x, x.reshape(batch, agents, TRUNK_FEATURES).transpose(0, 1));
        x = release(x, heads(x));
        return release(x, x.transpose(0, 1).contiguous());
    }

    /** Closes the wrapper {@code consumed} (not necessarily its storage, see forwardTensor) and returns {@code next}. */
    private static Tensor release(Tensor consumed, Tensor next) {
        consumed.close();
        return next;
    }

    /**
     * One trunk layer: conv, PReLU, and max-pool unless it is conv3. Consumes (closes) the wrapper {@code x}, not
     * {@code weight}.
     */
    Tensor convBlock(Tensor x, Tensor weight, int layer, boolean pool) {
        long[] padding = layer == 3 ? ZEROS3 : ONES3;
        // Channels-last (NDHWC) activations and weights: oneDNN's fast 3D kernels. Measured on the 2-core
        // reference machine, conv0 backward 200 -> 40 ms and forward 45 -> 35 ms per observation. A no-op on
        // tensors already channels-last (every layer after conv0); the weight copy is small and differentiable.
        Tensor xl = release(x, x.contiguous(torch.MemoryFormat.ChannelsLast3d));
        Tensor wl = weight.contiguous(torch.MemoryFormat.ChannelsLast3d);
        Tensor y = torch.conv3d(xl, wl, new TensorOptional(convB[layer]), ONES3, padding, ONES3, 1);
        xl.close();
        wl.close();
        y = release(y, torch.prelu(y, convPrelu[layer]));
        if (pool) {
            y = release(y, torch.max_pool3d(y, TWOS3, TWOS3, ZEROS3, ONES3, false));
        }
        return y;
    }

    /** {@code x (agents, batch, in)} -> {@code (agents, batch, out)}, CommNet's communication included. */
    Tensor head(Tensor x, int layer) {
        if (config.isCommNet()) {
            Tensor comm;
            if (commAtt[layer] != null) {
                // agent i: sum_j softmax(comm_att[i])_j * x_j, for all i at once as one (A x A) @ (A x batch*F).
                long b = x.size(1);
                long f = x.size(2);
                Tensor weights = torch.softmax(commAtt[layer], 1);
                comm = torch.mm(weights, x.reshape(agents, b * f)).view(agents, b, f);
            } else {
                comm = x.mean(new long[] {0}, true, new ScalarTypeOptional())
                        .expand(x.sizes());
            }
            // Published order: the agent's own vector first, then the communication vector.
            x = torch.cat(new TensorVector(x, comm), 2);
        }
        return torch.baddbmm(fcB[layer], x, fcW[layer]);
    }

    /** Per-agent PReLU on {@code (agents, batch, f)}: libtorch's prelu takes its channels on dimension 1. */
    static Tensor headPrelu(Tensor x, Tensor slopes) {
        return torch.prelu(x.transpose(0, 1), slopes).transpose(0, 1);
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Tensors shaped like the internal parameters (e.g. Adam's moments), seen under the published names and
     * shapes, in published order: what a PyTorch optimiser state_dict holds per parameter.
     */
    LinkedHashMap<String, TensorData> publishedView(List<Tensor> internalLike) {
        checkOpen();
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Slot s : slots) {
                Tensor internal = internalLike.get(parameters.indexOf(s.owner));
                out.put(s.name(), toTensorData(s.view.apply(internal), s.shape()));
            }
        }
        return out;
    }

    /** The inverse of {@link #publishedView}: copies published-name tensors into tensors shaped like the parameters. */
    void loadPublished(List<Tensor> internalLike, Map<String, TensorData> published) {
        checkOpen();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Slot s : slots) {
                TensorData td = published.get(s.name());
                if (td == null || !Arrays.equals(td.shape(), s.shape()) || td.dtype() != DType.FLOAT32) {
                    throw new IllegalArgumentException("optimiser state for " + s.name() + " is "
                            + (td == null ? "missing" : td + ", expected float32 "
                            + Arrays.toString(s.shape())));
                }
                s.view.apply(internalLike.get(parameters.indexOf(s.owner))).copy_(cpuTensor(td));
            }
        }
    }

    /** The internal parameter tensors (stacked layout), for the optimiser. */
    List<Tensor> parameterTensors() {
        checkOpen();
        return Collections.unmodifiableList(parameters);
    }

    /** All three heads with their PReLUs: {@code (agents, batch, 512)} -> {@code (agents, batch, 6)}. */
    Tensor heads(Tensor x) {
        x = headPrelu(head(x, 0), headPrelu[0]);
        x = headPrelu(head(x, 1), headPrelu[1]);
        return head(x, 2);
    }

    /**
     * One stage of the training forward pass on its own, for per-layer profiling (benchmarks' LayerProfileMain):
     * stage 0..3 is conv{@code stage}'s block on {@code (batch*agents, channels, d, d, d)}, stage 4 the heads on
     * {@code (agents, batch, 512)}. A conv stage consumes (closes) the wrapper {@code x}, as in the forward pass.
     */
    public Tensor forwardStage(int stage, Tensor x) {
        checkOpen();
        if (stage < 0 || stage > 4) {
            throw new IllegalArgumentException("forward stage " + stage + ", expected 0..4 (conv0..conv3, heads)");
        }
        return stage < 4 ? convBlock(x, convW[stage], stage, stage < 3) : heads(x);
    }

    /** Team-reward attention logits, or null. */
    Tensor rewardAttention() {
        return rewAtt;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException(describe() + " network is closed");
        }
    }

    public boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (trunkWorkerPool != null) {
            trunkWorkerPool.close();
        }
        closeInferenceWeights();
        for (Tensor t : parameters) {
            t.close();
        }
    }
}
