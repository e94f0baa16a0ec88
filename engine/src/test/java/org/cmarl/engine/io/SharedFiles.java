package org.cmarl.engine.io;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/** Locates ../shared (system property rlm.shared.dir); tests are skipped only when the folder is absent. */
final class SharedFiles {
    private SharedFiles() {
    }

    static Path shared() {
        String dir = System.getProperty("rlm.shared.dir");
        Assumptions.assumeTrue(dir != null && Files.isDirectory(Path.of(dir)), "shared folder absent: " + dir);
        return Path.of(dir);
    }

    static Path parity(String name) {
        return shared().resolve("reference/network_parity").resolve(name);
    }

    static Path singleAgentModel() {
        return shared().resolve("models/BrainMRI/SingleAgent.pt");
    }
}
