package org.cmarl.engine.nn;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the networks run. {@link #parse(String)} resolves {@code "auto"}: CUDA when libtorch sees a GPU, else the
 * CPU (with a one-line notice on the GPU build, where a missing GPU is a surprise; silently on the CPU build).
 * {@code "cuda"} without a usable GPU is an error naming why, never a silent CPU run: a training run meant for a GPU
 * would otherwise take days on the CPU.
 */
public enum Device {
    CPU,
    CUDA;

    /**
     * Evaluation episodes advanced together by default ({@code --batch_episodes}, validation, final evaluation). On
     * the CPU one: a batch-1 forward already uses every core (libtorch's OpenMP threads), and with repeated
     * observations answered from the memo a batch of B episodes has about B / 3 observations left to compute, which
     * two cores share unevenly. Measured, the eval example (270 episodes, 2-vCPU AMD EPYC, 2 threads, 2026-12-01):
     * 68.2 / 71.7 / 74.9 / 79.7 s at 1 / 2 / 4 / 8. A GPU needs more observations per forward pass to fill.
     */
    public static final int CPU_BATCH_EPISODES = 1;
    /** See {@link #CPU_BATCH_EPISODES}. */
    public static final int CUDA_BATCH_EPISODES = 32;

    /**
     * The CUDA device index this process uses ({@code cuda:N}), chosen once by {@link #selectCudaDevice} from the
     * launcher's {@code LOCAL_RANK}; 0 for a process alone. Process-wide on purpose, like PyTorch's
     * {@code torch.cuda.set_device(local_rank)}: every tensor, stream and NCCL communicator of a rank must live on
     * the same GPU.
     */
    private static volatile int cudaIndex;

    /** Present while the NVIDIA kernel driver is loaded (its version line). */
    static final Path NVIDIA_DRIVER_VERSION = Path.of("/proc/driver/nvidia/version");

    /** {@link #parse(String, PrintStream)} with notices on {@code System.err}. */
    public static Device parse(String name) {
        return parse(name, System.err);
    }

    /**
     * @param name   {@code cpu}, {@code cuda} or {@code auto} (CUDA when available), case-insensitive
     * @param notice where the one-line fallback notice of {@code auto} goes
     * @throws IllegalArgumentException for an unknown name, or {@code cuda} when libtorch sees no GPU (the message
     *                                  says why: the CPU build, no NVIDIA driver, or a driver without a device)
     */
    public static Device parse(String name, PrintStream notice) {
        if (name == null) {
            throw new IllegalArgumentException("device is null, expected cpu, cuda or auto");
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "cpu":
                return CPU;
            case "cuda":
            case "gpu":
            case "auto": {
                Torch.ensureLoaded();
                if (torch.cuda_is_available()) {
                    return CUDA;
                }
                boolean cudaBuild = Context.hasCUDA();
                String why = whyNoCuda(cudaBuild, NVIDIA_DRIVER_VERSION);
                if (!n.equals("auto")) {
                    throw new IllegalArgumentException("--device " + name.trim() + ": " + why
                            + "; use --device cpu or auto");
                }
                if (cudaBuild) {
                    notice.println("device auto: " + why + "; running on the CPU");
                }
                return CPU;
            }
            default:
                throw new IllegalArgumentException("device '" + name + "' unknown, expected cpu, cuda or auto");
        }
    }

    /**
     * Why libtorch sees no CUDA device, in words a user can act on.
     *
     * @param cudaBuild     whether the loaded libtorch has CUDA support ({@code at::hasCUDA()})
     * @param driverVersion the NVIDIA driver's version file ({@code /proc/driver/nvidia/version})
     */
    static String whyNoCuda(boolean cudaBuild, Path driverVersion) {
        if (!cudaBuild) {
            return "this is the CPU build of libtorch (build with mvn -Pgpu, see README \"GPU servers\")";
        }
        if (!Files.isReadable(driverVersion)) {
            return "no NVIDIA driver is loaded (" + driverVersion + " is missing)";
        }
        String version;
        try (Stream<String> lines = Files.lines(driverVersion)) {
            version = lines.findFirst().orElse("").trim();
        } catch (IOException | UncheckedIOException e) {
            version = "unreadable";
        }
        return "the NVIDIA driver (" + version + ") shows libtorch no usable GPU (CUDA 13.1 needs driver 580 or "
                + "newer and compute capability 7.5+; check nvidia-smi and CUDA_VISIBLE_DEVICES)";
    }

    /**
     * Which of the visible GPUs a rank takes: its local rank ({@code cuda:LOCAL_RANK}, what torchrun users expect),
     * or {@code cuda:0} when the process sees exactly one GPU ({@code rlm launch} and Slurm's
     * {@code --gpus-per-task=1} give each rank its own {@code CUDA_VISIBLE_DEVICES}).
     *
     * @param localRank      the launcher's {@code LOCAL_RANK} (0 for a process alone)
     * @param visibleDevices how many CUDA devices libtorch sees
     * @throws IllegalArgumentException when the host has fewer GPUs than local ranks (two ranks on one GPU would
     *                                  silently share its memory and serialise their kernels)
     */
    public static int cudaIndexFor(int localRank, int visibleDevices) {
        if (localRank < 0) {
            throw new IllegalArgumentException("LOCAL_RANK " + localRank + ", expected >= 0");
        }
        if (visibleDevices < 1) {
            throw new IllegalArgumentException("libtorch sees no CUDA device, LOCAL_RANK " + localRank
                    + " needs one");
        }
        if (visibleDevices == 1) {
            return 0;
        }
        if (localRank >= visibleDevices) {
            throw new IllegalArgumentException("LOCAL_RANK " + localRank + " but this host shows " + visibleDevices
                    + " CUDA devices (cuda:0..cuda:" + (visibleDevices - 1) + "); start at most " + visibleDevices
                    + " ranks per host, or give each rank one device with CUDA_VISIBLE_DEVICES");
        }
        return localRank;
    }

    /**
     * Makes {@code cuda:}{@link #cudaIndexFor index} this process's device for every tensor the engine creates and
     * libtorch's current device (streams, cuDNN handles, NCCL). Call once, before any tensor exists.
     *
     * @return the index chosen
     */
    public static int selectCudaDevice(int localRank) {
        Torch.ensureLoaded();
        int index = cudaIndexFor(localRank, torch.cuda_device_count());
        // torch_cuda's natives exist only in the GPU build: reached only after cuda_is_available() said yes
        org.bytedeco.pytorch.global.torch_cuda.set_device((byte) index);
        cudaIndex = index;
        return index;
    }

    /** {@code cuda:N} of this process ({@link #selectCudaDevice}); 0 unless a launcher chose another. */
    public static int cudaIndex() {
        return cudaIndex;
    }

    /** {@link #CPU_BATCH_EPISODES} or {@link #CUDA_BATCH_EPISODES}. */
    public int defaultBatchEpisodes() {
        return this == CUDA ? CUDA_BATCH_EPISODES : CPU_BATCH_EPISODES;
    }

    /** The libtorch device; the caller owns (closes) the returned pointer. */
    org.bytedeco.pytorch.Device toTorch() {
        Torch.ensureLoaded();
        return this == CUDA ? new org.bytedeco.pytorch.Device(torch.DeviceType.CUDA, (byte) cudaIndex)
                : new org.bytedeco.pytorch.Device(torch.DeviceType.CPU);
    }
}
