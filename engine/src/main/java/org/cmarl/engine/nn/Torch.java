package org.cmarl.engine.nn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.SizeTPointer;
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
            loaded = true;
        }
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
