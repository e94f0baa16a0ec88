package org.cmarl.engine.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.ObservationGeometry;

/**
 * The DQN loss and update of SPEC.md section 5, for an online and a target network of the same configuration:
 *
 * <pre>
 *   r  = clamp(r, -1, 1);  team reward: mean  r_i += mean_j r_j
 *                                      attention  r = r + r @ softmax(rew_att, dim=0)
 *   y  = r + (1 - done) * discount * max_a' Q_target(s')[a']
 *   loss = SmoothL1(beta 1, mean over batch and agents)(y, Q_online(s)[a])
 * </pre>
 *
 * The target network's term carries no gradient. As in the published code, with team-reward attention the
 * reward term of {@code y} does carry a gradient into {@code rew_att} (its only learning signal).
 * {@link #update} is the published {@code train_q_network}: zero the gradients, loss, backward, one Adam step.
 *
 * <p>Owns the Adam state (closed with this object); the two networks belong to the caller.
 */
public final class DqnLearner implements AutoCloseable {
    /** Default learning rate ({@code --lr}). */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    /** Default discount ({@code --discount}). */
    public static final double DEFAULT_DISCOUNT = 0.9;

    private final QNetwork online;
    private final QNetwork target;
    private final TeamReward teamReward;
    private final int agents;
    /**
     * Default activation budget of one backward chunk, in observation-agents (observations x agents): CommNet with
     * 5 agents then runs 12 observations a chunk (peak about 2.6 GB at batch 64), Network3d 64 (batch 64 in one
     * chunk). Larger chunks are faster on a CPU (Network3d batch 64: 5.7 s in one chunk, 7.2 s in two), so the
     * budget is as large as fits comfortably in a 16-24 GB machine. See {@link #lossAndGradients(Tensor, Tensor,
     * int, int[], float[], boolean[], double)} and benchmarks/README.md.
     */
    public static final int DEFAULT_CHUNK_OBSERVATION_AGENTS = 64;

    private final AdamOptimizer adam;
    private final int microBatch;
    /** {@link #packTransitionScalars} block, grown on demand, closed with this learner. */
    private Tensor hostScalars;
    private FloatPointer hostScalarsData;
    private int hostScalarsCapacity;
    /** Set by {@link #joinGroup}: every update then averages its gradients over the ranks before the Adam step. */
    private DistributedGroup group;
    private boolean closed;

    /** With the default micro-batch: {@link #defaultMicroBatch(int)} observations per backward chunk. */
    public DqnLearner(QNetwork online, QNetwork target, double learningRate, TeamReward teamReward) {
        this(online, target, learningRate, teamReward, defaultMicroBatch(online.config().agents()));
    }

    /** Observations per backward chunk by default: {@link #DEFAULT_CHUNK_OBSERVATION_AGENTS} / agents, at least 1. */
    public static int defaultMicroBatch(int agents) {
        return Math.max(1, DEFAULT_CHUNK_OBSERVATION_AGENTS / Math.max(1, agents));
    }

    /**
     * Peak device memory of one observation-agent in an update, in bytes: activations kept for the backward pass
     * and their gradients (measured on the CPU: CommNet-5, 12 observations a chunk, peaks at about 2.6 GB, i.e.
     * 43 MB per observation-agent), rounded up for cuDNN's workspaces.
     */
    static final long UPDATE_BYTES_PER_OBSERVATION_AGENT = 48L << 20;
    /** Share of the GPU's free memory the default chunk may fill (the rest: weights, Adam, allocator slack). */
    static final double GPU_MEMORY_SHARE = 0.7;

    /**
     * Observations per backward chunk by default on {@code device}: on the CPU {@link #defaultMicroBatch(int)}; on
     * CUDA the whole batch in one chunk (one pass keeps the GPU busiest) unless the GPU's free memory says it
     * cannot hold it, then the largest chunk that fits {@link #GPU_MEMORY_SHARE} of it.
     */
    public static int defaultMicroBatch(int agents, int batch, Device device) {
        if (device != Device.CUDA) {
            return defaultMicroBatch(agents);
        }
        return cudaMicroBatch(agents, batch, Torch.cudaFreeBytes());
    }

    /** {@link #defaultMicroBatch(int, int, Device)} on CUDA with {@code freeBytes} free (-1: unknown, whole batch). */
    static int cudaMicroBatch(int agents, int batch, long freeBytes) {
        if (freeBytes < 0) {
            return Math.max(1, batch);
        }
        long fits = (long) (freeBytes * GPU_MEMORY_SHARE) / (UPDATE_BYTES_PER_OBSERVATION_AGENT * Math.max(1, agents));
        return (int) Math.max(1, Math.min(batch, fits));
    }

    /**
     * @param microBatch most observations per forward/backward chunk (the gradients are those of the whole batch
     *                   either way; smaller chunks keep fewer activations alive), at least 1
     */
    public DqnLearner(QNetwork online, QNetwork target, double learningRate, TeamReward teamReward, int microBatch) {
        if (microBatch < 1) {
            throw new IllegalArgumentException("microBatch=" + microBatch + ", required >= 1");
        }
        this.microBatch = microBatch;
        if (!online.config().equals(target.config())) {
            throw new IllegalArgumentException("online " + online.describe() + " and target " + target.describe()
                    + " differ");
        }
        if (teamReward == TeamReward.ATTENTION && !online.config().rewardAttention()) {
            throw new IllegalArgumentException("team reward attention needs a network built with rewardAttention, "
                    + online.describe() + " has no rew_att");
        }
        this.online = online;
        this.target = target;
        this.teamReward = teamReward;
        this.agents = online.config().agents();
        this.adam = new AdamOptimizer(online.parameterTensors(), learningRate);
    }

    /**
     * One published training step: zero gradients, loss, backward, Adam step.
     *
     * @param states     s, the first {@code batch} observations (any element type; frames oldest first)
     * @param nextStates s', same layout
     * @param actions    {@code [b * agents + a]}, 0..5
     * @param rewards    {@code [b * agents + a]}, raw (clamped here)
     * @param terminal   {@code [b * agents + a]}
     * @return the loss before the step
     */
    public float update(ObservationBuffer states, ObservationBuffer nextStates, int batch, int[] actions,
            float[] rewards, boolean[] terminal, double discount) {
        adam.zeroGrad();
        float loss = lossAndGradients(states, nextStates, batch, actions, rewards, terminal, discount);
        loss = averageOverRanks(loss);
        adam.step();
        return loss;
    }

    /** The loss and its backward pass (gradients accumulate into the online network); no optimiser step. */
    public float lossAndGradients(ObservationBuffer states, ObservationBuffer nextStates, int batch, int[] actions,
            float[] rewards, boolean[] terminal, double discount) {
        checkOpen();
        if (states.agents() != agents || nextStates.agents() != agents) {
            throw new IllegalArgumentException("observations hold " + states.agents() + "/" + nextStates.agents()
                    + " agents, networks have " + agents);
        }
        try (PointerScope scope = new PointerScope()) {
            return lossAndGradients(states.tensor(batch), nextStates.tensor(batch), batch, actions, rewards, terminal,
                    discount);
        }
    }

    /**
     * One published training step on transitions written as 5-frame windows (the trainer's path): the states are
     * window frames 0..3 and the next states frames 1..4 of the same bytes ({@link TransitionBatchBuffer}).
     * Same loss and gradients as {@link #update(ObservationBuffer, ObservationBuffer, int, int[], float[], boolean[],
     * double)} on the same frames.
     *
     * @return the loss before the step
     */
    public float update(TransitionBatchBuffer transitions, int batch, int[] actions, float[] rewards,
            boolean[] terminal, double discount) {
        adam.zeroGrad();
        float loss = lossAndGradients(transitions, batch, actions, rewards, terminal, discount);
        loss = averageOverRanks(loss);
        adam.step();
        return loss;
    }

    /** The loss and its backward pass on 5-frame windows; no optimiser step. */
    public float lossAndGradients(TransitionBatchBuffer transitions, int batch, int[] actions, float[] rewards,
            boolean[] terminal, double discount) {
        checkOpen();
        if (transitions.agents() != agents) {
            throw new IllegalArgumentException("transitions hold " + transitions.agents() + " agents, networks have "
                    + agents);
        }
        try (PointerScope scope = new PointerScope()) {
            // One contiguous host -> device copy of the windows (on CUDA from the pinned block, non-blocking); the
            // state and next-state views are taken on the device. Copying the two strided host views instead
            // staged 8/5 of the bytes through pageable memory, blocking (benchmarks/README.md, "GPU data path").
            Tensor windows = onDevice(transitions.windowTensor(batch), torch.ScalarType.Byte);
            return lossAndGradients(windows.narrow(2, 0, ObservationGeometry.FRAMES),
                    windows.narrow(2, 1, ObservationGeometry.FRAMES), batch, actions, rewards, terminal, discount);
        }
    }

    /** {@code host} on the networks' device: itself on the CPU; on CUDA a non-blocking copy (the caller's scope). */
    private Tensor onDevice(Tensor host, torch.ScalarType type) {
        if (online.device() != Device.CUDA) {
            return host;
        }
        try (org.bytedeco.pytorch.Device d = Device.CUDA.toTorch()) {
            return host.to(d, type, true, false, new MemoryFormatOptional());
        }
    }

    /**
     * The batch is processed in micro-batches of at most {@link #microBatch()} observations: each chunk runs the
     * target forward, the online forward and its own backward, so the activations autograd keeps are those of one
     * chunk, not of the whole batch (CommNet with 5 agents keeps about 173 MB per observation: batch 64 would need
     * 11 GB and more at the backward peak). Chunk {@code c} of {@code n_c} of the {@code n} (observation, agent)
     * pairs contributes {@code SmoothL1_mean(chunk) * n_c / n}, so the gradients summed over chunks are those of the
     * published mean over the whole batch (up to float summation order); nothing in the loss couples two
     * observations (team rewards mix agents of one observation only).
     *
     * @param s     uint8 or float states {@code (>= batch, agents, 4, 45, 45, 45)}, in the caller's PointerScope
     * @param sNext next states, same layout
     */
    float lossAndGradients(Tensor s, Tensor sNext, int batch, int[] actions, float[] rewards, boolean[] terminal,
            double discount) {
        checkOpen();
        int n = batch * agents;
        if (batch < 1) {
            throw new IllegalArgumentException("batch=" + batch + ", required >= 1");
        }
        if (actions.length < n || rewards.length < n || terminal.length < n) {
            throw new IllegalArgumentException("batch " + batch + " x " + agents + " agents needs " + n
                    + " actions/rewards/terminal flags, got " + actions.length + "/" + rewards.length + "/"
                    + terminal.length);
        }
        for (int i = 0; i < n; i++) {
            if (actions[i] < 0 || actions[i] >= ObservationGeometry.ACTIONS) {
                throw new IllegalArgumentException("action[" + i + "]=" + actions[i] + ", expected 0..5");
            }
        }
        // Rewards, not-done flags and actions of the whole batch: one host block, one upload per update (one
        // non-blocking copy on CUDA, none on the CPU); each chunk takes views of it.
        Tensor perTransition = onDevice(packTransitionScalars(n, actions, rewards, terminal), torch.ScalarType.Float);
        Tensor r = perTransition.narrow(0, 0, n).view(batch, agents);
        Tensor notOver = perTransition.narrow(0, n, n).view(batch, agents);
        Tensor actionIndex = perTransition.narrow(0, 2L * n, n).to(torch.ScalarType.Long).view(batch, agents, 1);
        // The chunk losses add up on the device; the one read (item) is the update's only synchronisation.
        Tensor total = null;
        for (int first = 0; first < batch; first += microBatch) {
            int size = Math.min(microBatch, batch - first);
            try (PointerScope chunkScope = new PointerScope()) {
                Tensor sChunk = size == batch ? s.narrow(0, 0, batch) : s.narrow(0, first, size);
                Tensor nextChunk = size == batch ? sNext.narrow(0, 0, batch) : sNext.narrow(0, first, size);
                Tensor loss = chunkLoss(sChunk, nextChunk, size, r.narrow(0, first, size),
                        notOver.narrow(0, first, size), actionIndex.narrow(0, first, size), discount);
                if (size != batch) {
                    loss = loss.mul(new Scalar((double) size / batch));
                }
                Tensor sum = Torch.keep(chunkScope, total == null ? loss.detach() : total.add(loss.detach()));
                if (total != null) {
                    total.close();
                }
                total = sum;
                loss.backward();
            }
        }
        try {
            return total.item_float();
        } finally {
            total.close();
        }
    }

    /**
     * {@code [rewards | 1 - done | actions]} of the first {@code n} (observation, agent) pairs as one float block
     * {@code (3n)} in host memory owned by this learner (page-locked on CUDA, so the upload is a DMA transfer),
     * reused: the previous update's upload has completed, since its loss was read. Actions 0..5 are exact floats.
     */
    private Tensor packTransitionScalars(int n, int[] actions, float[] rewards, boolean[] terminal) {
        if (hostScalars == null || hostScalarsCapacity < n) {
            if (hostScalars != null) {
                hostScalars.close();
            }
            try (PointerScope scope = new PointerScope()) {
                TensorOptions options = new TensorOptions(torch.ScalarType.Float);
                if (online.device() == Device.CUDA) {
                    options = options.pinned_memory(new BoolOptional(true));
                }
                hostScalars = Torch.keep(scope, torch.empty(new long[] {3L * n}, options,
                        new MemoryFormatOptional()));
            }
            hostScalarsCapacity = n;
            hostScalarsData = new FloatPointer(hostScalars.data_ptr()).capacity(3L * n);
        }
        for (int i = 0; i < n; i++) {
            hostScalarsData.put(i, rewards[i]);
            hostScalarsData.put(n + i, terminal[i] ? 0f : 1f);
            hostScalarsData.put(2L * n + i, actions[i]);
        }
        return hostScalars.narrow(0, 0, 3L * n);
    }

    /**
     * The published loss of one chunk of {@code batch} observations (mean over those only).
     *
     * @param rawRewards {@code (batch, agents)} float, unclamped, on the networks' device
     * @param notOver    {@code (batch, agents)} float, 0 where the transition ended the episode
     * @param actionIdx  {@code (batch, agents, 1)} long
     */
    private Tensor chunkLoss(Tensor s, Tensor sNext, int batch, Tensor rawRewards, Tensor notOver,
            Tensor actionIdx, double discount) {
        Tensor r = rawRewards.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
        if (teamReward == TeamReward.MEAN) {
            r = r.add(r.mean(new long[] {1}, true, new ScalarTypeOptional()));
        } else if (teamReward == TeamReward.ATTENTION) {
            r = r.add(torch.matmul(r, torch.softmax(online.rewardAttention(), 0)));
        }
        // The target's activations are freed with this inner scope, before the online forward: only the
        // (batch, agents) maxima move out to the caller's scope.
        Tensor maxNext;
        try (PointerScope targetScope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            // get0() points into the tuple (freed with the scope); detach() makes an owning handle to the values.
            maxNext = Torch.keep(targetScope, target.forwardTensor(sNext, 0).max(2).get0().detach());
        }
        Torch.adopt(PointerScope.getInnerScope(), maxNext);
        Tensor y = r.add(notOver.mul(maxNext).mul(new Scalar(discount)));
        Tensor q = online.forwardTensor(s, 0);
        Tensor chosen = torch.gather(q, 2, actionIdx).view(batch, agents);
        // Published: SmoothL1Loss()(labels, prediction), reduction mean (1), beta 1.
        return torch.smooth_l1_loss(y.flatten(), chosen.flatten(), 1, 1.0);
    }

    /** Copies the online weights into the target network. */
    public void syncTarget() {
        target.copyWeightsFrom(online);
    }

    public double learningRate() { return adam.learningRate(); }

    /** Most observations per forward/backward chunk of an update. */
    public int microBatch() { return microBatch; }

    /** For the step scheduler ({@code lr *= gamma} every {@code step_size} epochs). */
    public void setLearningRate(double learningRate) { adam.setLearningRate(learningRate); }

    /** Adam steps taken. */
    public long steps() { return adam.steps(); }

    /** Applies one Adam step to the current gradients (after {@link #lossAndGradients}). */
    public void step() {
        checkOpen();
        averageOverRanks(0f);
        adam.step();
    }

    /**
     * Joins a data-parallel run: rank 0's online weights, target weights and Adam state (moments, step count,
     * learning rate) replace every rank's, and from now on every update all-reduces its gradients (their mean over
     * the ranks) before its one Adam step, so that every rank holds the same weights after every update.
     */
    public void joinGroup(DistributedGroup group) {
        checkOpen();
        List<Tensor> state = new ArrayList<>(online.parameterTensors());
        state.addAll(target.parameterTensors());
        state.addAll(adam.expAvg());
        state.addAll(adam.expAvgSq());
        group.broadcastFromRankZero(state);
        double[] counters = {adam.steps(), adam.learningRate()};
        group.broadcastFromRankZero(counters);
        adam.setSteps((long) counters[0]);
        adam.setLearningRate(counters[1]);
        this.group = group;
    }

    /** With a group: the gradients' and the loss's mean over the ranks (one all-reduce); alone: the loss. */
    private float averageOverRanks(float loss) {
        return group == null ? loss : group.averageGradients(online.parameterTensors(), loss);
    }

    public void zeroGrad() {
        checkOpen();
        adam.zeroGrad();
    }

    /**
     * The optimiser's state as {@code torch.optim.Adam.state_dict()} of the published online network would hold it:
     * per published parameter (state_dict order), its step count and moments; no entries before the first step.
     *
     * @param initialLearningRate the {@code initial_lr} a StepLR scheduler records
     */
    public AdamState optimiserState(double initialLearningRate) {
        checkOpen();
        LinkedHashMap<String, TensorData> m = online.publishedView(adam.expAvg());
        LinkedHashMap<String, TensorData> v = online.publishedView(adam.expAvgSq());
        List<AdamState.ParamState> params = new ArrayList<>();
        for (String name : m.keySet()) {
            params.add(adam.steps() == 0 ? null
                    : new AdamState.ParamState(adam.steps(), m.get(name), v.get(name)));
        }
        return new AdamState(params,
                AdamState.defaultHyperparameters(adam.learningRate(), initialLearningRate));
    }

    /** Restores {@link #optimiserState}: moments, step count and learning rate. */
    public void loadOptimiserState(AdamState state) {
        checkOpen();
        List<String> names = online.parameterNames();
        if (state.params().size() != names.size()) {
            throw new IllegalArgumentException("optimiser state has " + state.params().size() + " parameters, "
                    + online.describe() + " has " + names.size());
        }
        LinkedHashMap<String, TensorData> m = new LinkedHashMap<>();
        LinkedHashMap<String, TensorData> v = new LinkedHashMap<>();
        long steps = 0;
        for (int i = 0; i < names.size(); i++) {
            AdamState.ParamState p = state.params().get(i);
            if (p == null) {
                return; // no step taken yet: fresh moments are the state
            }
            m.put(names.get(i), p.expAvg());
            v.put(names.get(i), p.expAvgSq());
            steps = (long) p.step();
        }
        online.loadPublished(adam.expAvg(), m);
        online.loadPublished(adam.expAvgSq(), v);
        adam.setSteps(steps);
        if (state.lr() > 0) {
            adam.setLearningRate(state.lr());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("DQN learner is closed");
        }
        online.checkOpen();
        target.checkOpen();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (hostScalars != null) {
            hostScalars.close();
        }
        adam.close();
    }
}
