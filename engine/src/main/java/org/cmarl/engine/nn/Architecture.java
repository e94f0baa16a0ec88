package org.cmarl.engine.nn;

/** The two published network families, named as on the published command line ({@code --model_name}). */
public enum Architecture {
    NETWORK3D("Network3d"),
    COMMNET("CommNet");

    private final String cliName;

    Architecture(String cliName) {
        this.cliName = cliName;
    }

    /** The published {@code --model_name} value. */
    public String cliName() { return cliName; }

    /** Accepts the published names case-insensitively ({@code Network3d}, {@code Network3D}, {@code CommNet}). */
    public static Architecture parse(String name) {
        for (Architecture a : values()) {
            if (a.cliName.equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("model name '" + name + "' unknown, expected Network3d or CommNet");
    }
}
