package org.cmarl.engine.nn;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

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
     * Evaluation episodes advanced together by default ({@code --batch_episodes}, validation, final evaluation):
     * on the CPU a batch of 4 already keeps the cores busy; a GPU needs more observations per forward pass to fill.
     */
    public static final int CPU_BATCH_EPISODES = 4;
    /** See {@link #CPU_BATCH_EPISODES}. */
    public static final int CUDA_BATCH_EPISODES = 32;

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
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
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
        try (java.util.stream.Stream<String> lines = Files.lines(driverVersion)) {
            version = lines.findFirst().orElse("").trim();
        } catch (IOException | java.io.UncheckedIOException e) {
            version = "unreadable";
        }
        return "the NVIDIA driver (" + version + ") shows libtorch no usable GPU (CUDA 13.1 needs driver 580 or "
                + "newer and compute capability 7.5+; check nvidia-smi and CUDA_VISIBLE_DEVICES)";
    }

    /** {@link #CPU_BATCH_EPISODES} or {@link #CUDA_BATCH_EPISODES}. */
    public int defaultBatchEpisodes() {
        return this == CUDA ? CUDA_BATCH_EPISODES : CPU_BATCH_EPISODES;
    }

    /** The libtorch device; the caller owns (closes) the returned pointer. */
    org.bytedeco.pytorch.Device toTorch() {
        Torch.ensureLoaded();
        return new org.bytedeco.pytorch.Device(this == CUDA ? torch.DeviceType.CUDA : torch.DeviceType.CPU);
    }
}
