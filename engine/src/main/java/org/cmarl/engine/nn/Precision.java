package org.cmarl.engine.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The number format of a network's convolutions and activations.
 *
 * <p>{@link #FP32} is the published arithmetic (bit for bit the engine's default). {@link #BF16} runs the trunk's
 * convolutions in bfloat16 (8-bit mantissa, float32's exponent range) through oneDNN on the CPU, or under CUDA
 * autocast on a GPU; the weights the optimiser updates and every checkpoint stay float32. It pays only where the
 * hardware multiplies bfloat16 natively: on x86 the {@code avx512_bf16} or {@code amx_bf16} instructions
 * (otherwise oneDNN emulates it and it is slower than float32), on CUDA every GPU since Ampere.
 */
public enum Precision {
    FP32("fp32"),
    BF16("bf16");

    private final String cliName;

    Precision(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() { return cliName; }

    /** The CPU flags (as /proc/cpuinfo spells them) that run bfloat16 products natively. */
    static final Set<String> NATIVE_BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");

    /** A choice on the command line: a precision, or {@code auto}. */
    public record Choice(Precision precision, String reason) {
    }

    /**
     * Parses {@code fp32}, {@code bf16} or {@code auto} (case-insensitive). {@code auto} is bf16 on CUDA and on a CPU
     * whose flags include {@code avx512_bf16} or {@code amx_bf16}, fp32 otherwise; {@link Choice#reason()} says which
     * and why in one line ({@code null} when the precision was given explicitly).
     *
     * @param cpuFlags the CPU's flags (see {@link #cpuFlags()})
     */
    public static Choice choose(String value, Device device, Set<String> cpuFlags) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "fp32", "float32" -> {
                return new Choice(FP32, null);
            }
            case "bf16", "bfloat16" -> {
                return new Choice(BF16, null);
            }
            case "auto" -> {
                if (device == Device.CUDA) {
                    return new Choice(BF16, "precision auto: bf16 (CUDA autocast)");
                }
                TreeSet<String> found = new TreeSet<>(cpuFlags);
                found.retainAll(NATIVE_BF16_FLAGS);
                if (!found.isEmpty()) {
                    return new Choice(BF16, "precision auto: bf16 (the CPU has " + String.join(", ", found) + ")");
                }
                return new Choice(FP32, "precision auto: fp32 (the CPU has neither avx512_bf16 nor amx_bf16, bf16 "
                        + "would be emulated)");
            }
            default -> throw new IllegalArgumentException("precision '" + value + "' is not one of fp32, bf16, auto");
        }
    }

    /** The flags of the first processor in /proc/cpuinfo; empty where there is no such file (not Linux). */
    public static Set<String> cpuFlags() {
        return cpuFlags(Path.of("/proc/cpuinfo"));
    }

    static Set<String> cpuFlags(Path cpuinfo) {
        TreeSet<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                // x86 says "flags", arm64 "Features"; the first processor's line is enough (all cores are alike).
                if (line.startsWith("flags") || line.startsWith("Features")) {
                    int colon = line.indexOf(':');
                    if (colon >= 0) {
                        for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                            if (!f.isEmpty()) {
                                flags.add(f);
                            }
                        }
                    }
                    break;
                }
            }
        } catch (IOException | SecurityException e) {
            // no /proc (not Linux, or sandboxed): no native bf16 known, auto falls back to fp32
        }
        return flags;
    }
}
