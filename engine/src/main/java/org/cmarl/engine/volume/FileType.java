package org.cmarl.engine.volume;

import java.util.Locale;

/** The three landmark file formats of the published system (SPEC.md section 2), named as on its command line. */
public enum FileType {
    /** Text, one landmark per line, {@code x,y,z} in voxel units. */
    BRAIN,
    /** VTK polydata: the points are on lines 5 and 6 (0-based), in physical space, LPS-flipped. */
    CARDIAC,
    /** Text, one landmark per line, {@code x y z} in voxel units. */
    FETAL;

    /** The command-line name: {@code brain}, {@code cardiac} or {@code fetal}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a command-line name, case-insensitively. */
    public static FileType fromName(String name) {
        for (FileType t : values()) {
            if (t.cliName().equalsIgnoreCase(name.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException("file type '" + name + "' is not one of brain, cardiac, fetal");
    }
}
