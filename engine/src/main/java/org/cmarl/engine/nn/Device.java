package org.cmarl.engine.nn;

import java.io.PrintStream;

import org.bytedeco.pytorch.global.torch;

/**
 * Where the networks run. {@link #parse(String)} resolves {@code "auto"} and falls back to the CPU, with one
 * line on the given stream, when CUDA is asked for but libtorch sees no GPU (the default CPU build never does).
 */
public enum Device {
    CPU,
    CUDA;

    /** {@link #parse(String, PrintStream)} with notices on {@code System.err}. */
    public static Device parse(String name) {
        return parse(name, System.err);
    }

    /**
     * @param name   {@code cpu}, {@code cuda} or {@code auto} (CUDA when available), case-insensitive
     * @param notice where the one-line fallback notice goes
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
                if (!n.equals("auto")) {
                    notice.println("device " + name + " requested but libtorch sees no CUDA device; running on the CPU");
                }
                return CPU;
            }
            default:
                throw new IllegalArgumentException("device '" + name + "' unknown, expected cpu, cuda or auto");
        }
    }

    /** The libtorch device; the caller owns (closes) the returned pointer. */
    org.bytedeco.pytorch.Device toTorch() {
        Torch.ensureLoaded();
        return new org.bytedeco.pytorch.Device(this == CUDA ? torch.DeviceType.CUDA : torch.DeviceType.CPU);
    }
}
