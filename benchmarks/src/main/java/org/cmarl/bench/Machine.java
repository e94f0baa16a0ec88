package org.cmarl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What a benchmark figure was measured on: CPU model and flags, cores, load average (Linux /proc; "?" elsewhere). */
final class Machine {
    private Machine() {
    }

    static String cpuModel() {
        return cpuinfoField("model name");
    }

    static String cpuFlags() {
        return cpuinfoField("flags");
    }

    /** The 1-minute load average. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String cpuinfoField(String name) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String l : lines) {
                if (l.startsWith(name)) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "?";
    }
}
