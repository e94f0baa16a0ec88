package org.cmarl.engine.nn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.global.torch;

/**
 * The single entry point to libtorch: every class of package {@code nn} calls {@link #ensureLoaded()} before it
 * touches any {@code org.bytedeco.pytorch} class.
 *
 * <p>WHY the explicit extraction: on a machine with a system libtorch (Debian's {@code python3-torch} puts
 * {@code libtorch_cpu.so} on the default library path) and a cold JavaCPP cache ({@code ~/.javacpp/cache}),
 * loading {@code torch.class} directly lets the dynamic linker resolve the dependencies of {@code libjnitorch.so}
 * to the system copies before JavaCPP has extracted its own, and the JVM crashes at the first torch call (ABI
 * mismatch). Extracting every bundled native of javacpp, openblas and pytorch into the cache first means that
 * JavaCPP's preload finds its own copies by absolute path.
 *
 * <p>The GPU build ({@code -Pgpu}) keeps libtorch's natives under {@code org/bytedeco/pytorch/<platform>-gpu/} and
 * the CUDA runtime under {@code org/bytedeco/cuda/<platform>/} (jar {@code cuda-redist}): those are extracted too,
 * so neither a system libtorch nor a system CUDA runtime shadows the bundled ones. On the CPU build these folders
 * are absent and extract nothing.
 */
public final class Torch {
    private static volatile boolean loaded;
    /** OpenBLAS's own thread pool size: one, the calling thread (see {@link #ensureLoaded()}). */
    static final int BLAS_THREADS = 1;
    /** Where the GPU jars keep their natives (checked with unzip -l on the 1.5.13 jars); CUDA runtime first. */
    static final String[] GPU_NATIVE_FOLDERS = {"/org/bytedeco/cuda/<platform>/",
        "/org/bytedeco/pytorch/<platform>-gpu/"};

    private Torch() {
    }

    /** Extracts the bundled natives (once per JVM) and loads libtorch. Idempotent and thread-safe. */
    public static void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (Torch.class) {
            if (loaded) {
                return;
            }
            String platform = Loader.getPlatform();
            try {
                // Order matters only for speed; all three must be in the cache before Loader.load(torch.class).
                Loader.cacheResources("/org/bytedeco/javacpp/" + platform + "/");
                Loader.cacheResources("/org/bytedeco/openblas/" + platform + "/");
                Loader.cacheResources("/org/bytedeco/pytorch/" + platform + "/");
                for (String folder : GPU_NATIVE_FOLDERS) {
                    Loader.cacheResources(folder.replace("<platform>", platform));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot extract the bundled libtorch natives for platform " + platform
                        + " into the JavaCPP cache (set -Dorg.bytedeco.javacpp.cachedir=<writable dir>)", e);
            }
            Loader.load(torch.class);
            // WHY: the bundled OpenBLAS (libtorch's BLAS for the linear layers) keeps its own pthread pool, and a
            // pool thread busy-waits for work after every call. At one forward every 25 ms it never sleeps, so on a
            // 2-core machine it takes a whole core away from libtorch's OpenMP threads (measured on the EPYC VM:
            // a 2-thread Network3d forward 33 ms with the pool, 18 ms without; two 1-thread processes each ran at
            // half speed). The engine's GEMMs are small (at most 64 x 512 x 256); libtorch's own threads are the
            // ones --threads sets.
            openblas_nolapack.blas_set_num_threads(BLAS_THREADS);
            loaded = true;
        }
    }

    /**
     * The {@code --threads} default: all available cores shared among the processes a launcher started on this host
     * ({@code LOCAL_WORLD_SIZE}, set by {@code rlm launch} and torchrun), unless {@code OMP_NUM_THREADS} is set (torchrun
     * sets it per process), in which case libtorch's own reading of it stands. libtorch's own default is not all
     * cores everywhere: on a 2-vCPU AMD EPYC VM it chose 1.
     */
    public static void setDefaultThreads() {
        ensureLoaded();
        int n = defaultThreads(System.getenv("OMP_NUM_THREADS"), System.getenv("LOCAL_WORLD_SIZE"),
                Runtime.getRuntime().availableProcessors());
        if (n > 0) {
            torch.set_num_threads(n);
        }
    }

    /** {@link #setDefaultThreads()}'s rule; 0 = leave libtorch's own default (it reads OMP_NUM_THREADS). */
    static int defaultThreads(String ompNumThreads, String localWorldSize, int cores) {
        if (ompNumThreads != null && !ompNumThreads.isBlank()) {
            return 0;
        }
        int processes = 1;
        if (localWorldSize != null) {
            try {
                processes = Math.max(1, Integer.parseInt(localWorldSize.trim()));
            } catch (NumberFormatException e) {
                processes = 1; // LaunchEnvironment reports a malformed launcher variable where it matters
            }
        }
        return Math.max(1, cores / processes);
    }

    /** Sets libtorch's intra-op thread count; {@code threads <= 0} means all available cores. */
    public static void setThreads(int threads) {
        ensureLoaded();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        torch.set_num_threads(n);
    }

    /**
     * Moves {@code pointer} out of {@code scope} into the caller's ownership: it survives the scope and is freed
     * by exactly one later {@code close()}. (JavaCPP's {@code detach} alone would release the scope's reference
     * and free it at once: attach retains, detach releases.)
     */
    static <P extends Pointer> P keep(PointerScope scope, P pointer) {
        pointer.retainReference();
        scope.detach(pointer);
        return pointer;
    }

    /** Hands a {@link #keep kept} pointer to {@code scope}, which then frees it at its close. */
    static <P extends Pointer> P adopt(PointerScope scope, P pointer) {
        scope.attach(pointer);
        pointer.releaseReference();
        return pointer;
    }

    /**
     * Settings for runs on CUDA, called once the device is known: cuDNN's benchmark mode on (each convolution shape
     * is timed once and its fastest algorithm kept; the shapes of a run are few: the batch, its last partial chunk,
     * the shrinking evaluation batch), and TF32 for cuBLAS matmuls and cuDNN convolutions only when asked
     * ({@code --tf32}). libtorch's own default allows TF32 in cuDNN convolutions; it is switched off here so that
     * CUDA results stay within float32 rounding of the CPU's (TF32 keeps 10 mantissa bits).
     */
    public static void configureCuda(boolean tf32) {
        ensureLoaded();
        Context context = torch.globalContext();
        context.setBenchmarkCuDNN(true);
        context.setAllowTF32CuBLAS(tf32);
        context.setAllowTF32CuDNN(tf32);
    }

    /**
     * Free memory of the current CUDA device in bytes (cudaMemGetInfo), or -1 when unknown (the CPU build has no
     * CUDA runtime classes: the call goes through reflection so that the engine compiles and runs without them).
     */
    static long cudaFreeBytes() {
        ensureLoaded();
        try {
            Class<?> cudart = Class.forName("org.bytedeco.cuda.global.cudart");
            Method memGetInfo = cudart.getMethod("cudaMemGetInfo",
                    SizeTPointer.class, SizeTPointer.class);
            try (SizeTPointer free = new SizeTPointer(1);
                 SizeTPointer total = new SizeTPointer(1)) {
                Object status = memGetInfo.invoke(null, free, total);
                return status instanceof Integer && (Integer) status == 0 ? free.get() : -1;
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            return -1;
        }
    }

    /** libtorch's current intra-op thread count. */
    public static int threads() {
        ensureLoaded();
        return torch.get_num_threads();
    }
}
