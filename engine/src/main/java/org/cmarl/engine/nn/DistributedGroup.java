package org.cmarl.engine.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BarrierOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;
import org.cmarl.engine.dist.DistBackend;
import org.cmarl.engine.dist.LaunchEnvironment;
import org.cmarl.engine.dist.PeerFailureException;

/**
 * This process's membership of a multi-process run: libtorch's c10d {@code TCPStore} (served by rank 0, at
 * {@code MASTER_ADDR:MASTER_PORT}) and a Gloo or NCCL process group built on it, the same rendezvous and
 * collectives {@code torch.distributed} uses. Owns both; {@link #close()} frees them once.
 *
 * <p>Collectives take flat buffers, never one call per parameter: {@link #averageGradients} copies every gradient
 * into one preallocated vector (plus the loss), all-reduces it (sum) and copies back {@code sum / world}.
 *
 * <p>A failed or timed-out collective becomes a {@link PeerFailureException} that names the rank(s) that did not
 * answer: every surviving rank marks itself in the store, and the ranks missing after a short wait are the culprits
 * (c10d's own messages name only a peer's address, which on one host says nothing).
 */
public final class DistributedGroup implements AutoCloseable {
    /** How long a survivor waits for the other survivors to mark themselves after a failure. */
    private static final long FAILURE_POLL_MILLIS = 2_000;

    private final LaunchEnvironment env;
    private final boolean nccl;
    private final TCPStore store;
    private final Backend group;
    private final org.bytedeco.pytorch.Device collectiveDevice;
    private final long timeoutMillis;
    private Tensor gradientBuffer;
    private long gradientBytes;
    // the reused host buffer of allReduceSum (Gloo): a float64 tensor, a view of its memory, its vector, options
    private Tensor smallBuffer;
    private DoublePointer smallView;
    private TensorVector smallVector;
    private AllreduceOptions smallOptions;
    private boolean failed;
    private boolean closed;

    private DistributedGroup(LaunchEnvironment env, boolean nccl, TCPStore store, Backend group) {
        this.env = env;
        this.nccl = nccl;
        this.store = store;
        this.group = group;
        this.timeoutMillis = env.timeoutSeconds() * 1000L;
        // NCCL's collectives run on this rank's GPU (Device.selectCudaDevice), Gloo's on the host
        this.collectiveDevice = nccl ? new org.bytedeco.pytorch.Device(torch.DeviceType.CUDA, (byte) Device.cudaIndex())
                : new org.bytedeco.pytorch.Device(torch.DeviceType.CPU);
    }

    /**
     * Joins the run: rank 0 serves the store, every rank connects to it and the group's rendezvous waits for all
     * {@code worldSize} ranks (at most {@code --dist_timeout}).
     *
     * @param device the device this rank trains on (NCCL needs CUDA; {@code auto} picks NCCL only then)
     */
    public static DistributedGroup connect(LaunchEnvironment env, Device device) {
        if (!env.isDistributed()) {
            throw new IllegalArgumentException("a process group needs a world of at least 2, got "
                    + env.describe());
        }
        Torch.ensureLoaded();
        boolean nccl = switch (env.backend()) {
            case NCCL -> true;
            case GLOO -> false;
            case AUTO -> device == Device.CUDA;
        };
        if (nccl && device != Device.CUDA) {
            throw new IllegalArgumentException("--dist_backend nccl needs a CUDA device on every rank; rank "
                    + env.rank() + " runs on the CPU (use --dist_backend gloo)");
        }
        long timeout = env.timeoutSeconds() * 1000L;
        TCPStore store;
        try {
            TCPStoreOptions options = new TCPStoreOptions();
            options.port((short) env.masterPort());
            options.isServer(env.isRankZero());
            options.waitWorkers(false);
            options.timeout(new Milliseconds(timeout));
            store = new TCPStore(env.masterAddr(), options);
        } catch (RuntimeException e) {
            throw new PeerFailureException("rank " + env.rank() + ": cannot " + (env.isRankZero() ? "serve" : "reach")
                    + " the c10d store at " + env.masterAddr() + ":" + env.masterPort() + " within "
                    + env.timeoutSeconds() + " s (" + firstLine(e) + ")", e);
        }
        Backend group;
        try {
            if (nccl) {
                group = NcclGroup.create(store, env.rank(), env.worldSize(), timeout);
            } else {
                ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(new Milliseconds(timeout));
                GlooDeviceVector devices = new GlooDeviceVector();
                devices.push_back(glooDevice(env.masterAddr()));
                options.devices(devices);
                group = new ProcessGroupGloo(store, env.rank(), env.worldSize(), options);
            }
        } catch (RuntimeException e) {
            store.close();
            throw new PeerFailureException("rank " + env.rank() + ": the " + (nccl ? "NCCL" : "Gloo")
                    + " rendezvous of " + env.worldSize() + " ranks at " + env.masterAddr() + ":" + env.masterPort()
                    + " did not complete within " + env.timeoutSeconds() + " s (" + firstLine(e) + ")", e);
        }
        return new DistributedGroup(env, nccl, store, group);
    }

    /**
     * The network interface Gloo talks on: {@code GLOO_SOCKET_IFNAME} when set (as in torch.distributed), loopback
     * when the master is on this host's loopback (single-host runs), else the interface of this host's name.
     */
    private static org.bytedeco.pytorch.gloo.Device glooDevice(String masterAddr) {
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(ifname.split(",")[0].trim());
        }
        if (masterAddr.equals("localhost") || masterAddr.startsWith("127.") || masterAddr.equals("::1")) {
            return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
        }
        return ProcessGroupGloo.createDefaultDevice();
    }

    public int rank() { return env.rank(); }
    public int worldSize() { return env.worldSize(); }
    public LaunchEnvironment environment() { return env; }

    /** "gloo" or "nccl". */
    public String backendName() { return nccl ? "nccl" : "gloo"; }

    /**
     * Replaces every tensor's values with rank 0's (one broadcast of their concatenation). All tensors are float32
     * and the same list, in the same order, on every rank.
     */
    public void broadcastFromRankZero(List<Tensor> tensors) {
        checkOpen();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            long total = 0;
            for (Tensor t : tensors) {
                total += t.numel();
            }
            Tensor flat = torch.zeros(new long[] {total}, new TensorOptions(torch.ScalarType.Float)
                    .device(new DeviceOptional(collectiveDevice)));
            long offset = 0;
            for (Tensor t : tensors) {
                flat.narrow(0, offset, t.numel()).copy_(t.reshape(-1));
                offset += t.numel();
            }
            BroadcastOptions options = new BroadcastOptions();
            options.rootRank(0);
            options.timeout(new Milliseconds(timeoutMillis));
            long start = System.nanoTime();
            await(run(() -> group.broadcast(new TensorVector(flat), options), "broadcast of the weights", start),
                    "broadcast of the weights", start);
            offset = 0;
            for (Tensor t : tensors) {
                t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
                offset += t.numel();
            }
        }
    }

    /** Replaces the network's weights with rank 0's (one broadcast). */
    public void broadcastFromRankZero(QNetwork network) {
        broadcastFromRankZero(network.parameterTensors());
    }

    /**
     * Sums {@code values} over the ranks, in place (float64; small vectors: counters, flags, distances). Called
     * once per environment step by the trainer: with Gloo the host tensor, its vector and the options are kept
     * from one call to the next of the same length, so a step allocates only c10d's own Work handle.
     */
    public void allReduceSum(double[] values) {
        checkOpen();
        if (values.length == 0) {
            return;
        }
        if (!nccl) {
            if (smallBuffer == null || smallBuffer.numel() != values.length) {
                allocateSmall(values.length);
            }
            smallView.put(values, 0, values.length);
            long start = System.nanoTime();
            try (PointerScope scope = new PointerScope()) {
                await(run(() -> group.allreduce(smallVector, smallOptions), "all-reduce", start), "all-reduce",
                        start);
            }
            smallView.get(values, 0, values.length);
            return;
        }
        try (PointerScope scope = new PointerScope()) {
            DoublePointer p = new DoublePointer(values);
            Tensor host = torch.from_blob(p, new long[] {values.length},
                    new TensorOptions(torch.ScalarType.Double)).clone();
            Tensor t = nccl ? host.to(collectiveDevice, torch.ScalarType.Double) : host;
            long start = System.nanoTime();
            await(run(() -> group.allreduce(new TensorVector(t), new AllreduceOptions()), "all-reduce", start),
                    "all-reduce", start);
            Tensor back = nccl ? t.cpu() : t;
            back.contiguous().data_ptr_double().get(values, 0, values.length);
        }
    }

    private void allocateSmall(int length) {
        freeSmall();
        try (PointerScope scope = new PointerScope()) {
            smallBuffer = Torch.keep(scope, torch.zeros(new long[] {length},
                    new TensorOptions(torch.ScalarType.Double)));
            smallView = Torch.keep(scope, smallBuffer.data_ptr_double());
            smallView.capacity(length);
            smallVector = Torch.keep(scope, new TensorVector(smallBuffer));
            smallOptions = Torch.keep(scope, new AllreduceOptions());
        }
    }

    private void freeSmall() {
        if (smallBuffer != null) {
            smallOptions.close();
            smallVector.close();
            smallView.close();
            smallBuffer.close();
            smallBuffer = null;
        }
    }

    /** Rank 0's {@code values}, in place on every rank. */
    public void broadcastFromRankZero(double[] values) {
        checkOpen();
        try (PointerScope scope = new PointerScope()) {
            DoublePointer p = new DoublePointer(values);
            Tensor host = torch.from_blob(p, new long[] {values.length},
                    new TensorOptions(torch.ScalarType.Double)).clone();
            Tensor t = nccl ? host.to(collectiveDevice, torch.ScalarType.Double) : host;
            BroadcastOptions options = new BroadcastOptions();
            options.rootRank(0);
            options.timeout(new Milliseconds(timeoutMillis));
            long start = System.nanoTime();
            await(run(() -> group.broadcast(new TensorVector(t), options), "broadcast", start), "broadcast", start);
            Tensor back = nccl ? t.cpu() : t;
            back.contiguous().data_ptr_double().get(values, 0, values.length);
        }
    }

    /**
     * Replaces every parameter's gradient with its mean over the ranks, in one all-reduce of one flat buffer
     * (float32, gradients then the loss). With equal per-rank batches this is the gradient of the mean loss over
     * the ranks' batches concatenated. A parameter without a gradient contributes zeros and stays without one.
     *
     * @return the mean of the ranks' losses (the loss of the concatenated batch)
     */
    public float averageGradients(List<Tensor> parameters, float loss) {
        checkOpen();
        long total = 1;
        for (Tensor p : parameters) {
            total += p.numel();
        }
        if (gradientBuffer == null || gradientBuffer.numel() != total) {
            if (gradientBuffer != null) {
                gradientBuffer.close();
            }
            try (PointerScope scope = new PointerScope()) {
                gradientBuffer = Torch.keep(scope, torch.zeros(new long[] {total},
                        new TensorOptions(torch.ScalarType.Float).device(
                                new DeviceOptional(collectiveDevice))));
            }
        }
        gradientBytes = total * Float.BYTES;
        Tensor flat = gradientBuffer;
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            long offset = 0;
            List<Tensor> grads = new ArrayList<>(parameters.size());
            for (Tensor p : parameters) {
                Tensor g = p.grad();
                grads.add(g);
                Tensor slot = flat.narrow(0, offset, p.numel());
                if (g.defined()) {
                    slot.copy_(g.reshape(-1));
                } else {
                    slot.zero_();
                }
                offset += p.numel();
            }
            flat.narrow(0, offset, 1).fill_(new Scalar(loss));
            long start = System.nanoTime();
            await(run(() -> group.allreduce(new TensorVector(flat), new AllreduceOptions()),
                    "all-reduce of the gradients", start), "all-reduce of the gradients", start);
            flat.div_(new Scalar((double) env.worldSize()));
            offset = 0;
            for (int i = 0; i < parameters.size(); i++) {
                Tensor p = parameters.get(i);
                Tensor g = grads.get(i);
                if (g.defined()) {
                    g.copy_(flat.narrow(0, offset, p.numel()).view(g.sizes()));
                }
                offset += p.numel();
            }
            return nccl ? flat.narrow(0, offset, 1).cpu().item_float() : flat.narrow(0, offset, 1).item_float();
        }
    }

    /** {@link #averageGradients(List, float)} over the network's parameters (e.g. to time the all-reduce alone). */
    public void averageGradients(QNetwork network) {
        averageGradients(network.parameterTensors(), 0f);
    }

    /** Bytes this rank contributes to one gradient all-reduce (the flat buffer: gradients and the loss). */
    public long gradientBytes() { return gradientBytes; }

    /** Waits until every rank has arrived (at most {@code --dist_timeout}). */
    public void barrier() {
        checkOpen();
        try (PointerScope scope = new PointerScope()) {
            BarrierOptions options = new BarrierOptions();
            options.timeout(new Milliseconds(timeoutMillis));
            long start = System.nanoTime();
            await(run(() -> group.barrier(options), "barrier", start), "barrier", start);
        }
    }

    /** Puts {@code bytes} under {@code key} in the run's store (e.g. a rank's evaluation results). */
    public void publish(String key, byte[] bytes) {
        checkOpen();
        try (PointerScope scope = new PointerScope()) {
            store.set("rlm/" + key, new ByteVector(bytes));
        } catch (RuntimeException e) {
            throw failure("store write of " + key, e, System.nanoTime());
        }
    }

    /** The bytes another rank {@link #publish}ed under {@code key}, waiting for them (at most the timeout). */
    public byte[] fetch(String key) {
        checkOpen();
        long start = System.nanoTime();
        try (PointerScope scope = new PointerScope()) {
            return store.get("rlm/" + key).get();
        } catch (RuntimeException e) {
            throw failure("store read of " + key, e, start);
        }
    }

    private interface Call {
        Work start();
    }

    private Work run(Call call, String what, long start) {
        try {
            return call.start();
        } catch (RuntimeException e) {
            throw failure(what, e, start);
        }
    }

    private void await(Work work, String what, long start) {
        try {
            work._wait();
        } catch (RuntimeException e) {
            throw failure(what, e, start);
        }
    }

    /**
     * Turns a c10d error into one line naming the rank(s) that did not answer: this rank marks itself as a
     * survivor in the store and waits briefly for the others' marks. When the store itself is gone, rank 0 (its
     * host) is the one that died.
     */
    private PeerFailureException failure(String what, RuntimeException e, long startNanos) {
        failed = true;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String cause = firstLine(e);
        boolean timedOut = cause.toLowerCase(Locale.ROOT).contains("timed out")
                || cause.toLowerCase(Locale.ROOT).contains("timeout");
        List<Integer> silent = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            store.add("rlm/survivor/" + env.rank(), 1);
            // with two ranks the other one is the culprit: no need to wait for marks
            long deadline = System.currentTimeMillis()
                    + (env.worldSize() == 2 ? 0 : Math.min(FAILURE_POLL_MILLIS, timeoutMillis));
            while (true) {
                silent.clear();
                for (int r = 0; r < env.worldSize(); r++) {
                    if (r != env.rank() && !store.check(new StringVector("rlm/survivor/" + r))) {
                        silent.add(r);
                    }
                }
                if (silent.isEmpty() || System.currentTimeMillis() > deadline) {
                    break;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException storeGone) {
            silent.clear();
            silent.add(0);
            cause = cause + "; the store on rank 0 is gone too";
        }
        String who = silent.isEmpty() ? "a rank" : (silent.size() == 1 ? "rank " : "ranks ")
                + String.join(", ", silent.stream().map(String::valueOf).toList());
        String verb = timedOut ? "timed out" : "unreachable";
        return new PeerFailureException(String.format(Locale.ROOT,
                "%s %s: %s failed on rank %d after %.1f s (--dist_timeout %d s; c10d: %s)", who, verb, what,
                env.rank(), seconds, env.timeoutSeconds(), cause), e);
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        for (String line : m.split("\n")) {
            String s = line.strip();
            // libtorch's messages start with a source location; the sentence after it is what matters
            if (s.startsWith("[") && s.contains("] ")) {
                s = s.substring(s.indexOf("] ") + 2);
            }
            if (!s.isEmpty() && !s.startsWith("Exception raised from") && !s.startsWith("frame #")) {
                return s.length() > 200 ? s.substring(0, 200) + "..." : s;
            }
        }
        return m;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("process group is closed");
        }
    }

    /**
     * Frees the group and the store. After a failed collective nothing is freed: c10d's destructors would wait for
     * the peer that is gone, and the process is about to exit anyway.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (failed) {
            return;
        }
        if (gradientBuffer != null) {
            gradientBuffer.close();
        }
        freeSmall();
        group.close();
        store.close();
    }

    /** The NCCL group, in its own class so that CPU-only runs never load the NCCL bindings. */
    private static final class NcclGroup {
        static Backend create(TCPStore store, int rank, int world, long timeoutMillis) {
            ProcessGroupNCCL.Options options =
                    new ProcessGroupNCCL.Options();
            options.timeout(new Milliseconds(timeoutMillis));
            return new ProcessGroupNCCL(store, rank, world, options);
        }
    }
}
