package org.cmarl.engine.dist;

import java.util.Locale;

/** The c10d backend of a multi-process run ({@code --dist_backend}). */
public enum DistBackend {
    /** NCCL when every rank has a CUDA device, else Gloo. */
    AUTO,
    /** Gloo: CPU tensors, TCP between hosts (and over loopback on one host). */
    GLOO,
    /** NCCL: CUDA tensors, NVLink / InfiniBand / TCP. */
    NCCL;

    /** Parses the flag's value ({@code auto}, {@code gloo}, {@code nccl}; any case). */
    public static DistBackend parse(String value) {
        for (DistBackend b : values()) {
            if (b.name().equalsIgnoreCase(value)) {
                return b;
            }
        }
        throw new IllegalArgumentException("--dist_backend '" + value + "', expected auto, gloo or nccl");
    }

    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
