package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --task eval --saveGif} end to end: a fresh network on synthetic images, one GIF per episode. */
class SaveGifCommandTest {
    static final int STEPS = 3;

    @TempDir
    Path dir;

    static int frames(Path gif) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            return reader.getNumImages(true);
        } finally {
            reader.dispose();
        }
    }

    @Test
    void shouldWriteOneGifPerEpisodeWithAFramePerStateWhenSaveGifIsGiven() throws IOException {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data"), 2, 5, 40);
        Path net = EvaluateModelsCommandTest.save(dir.resolve("net.pt"), Architecture.NETWORK3D, 1, 4);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"--task", "eval", "--load", net.toString(), "--model_name", "Network3d",
                "--landmarks", "0", "--files", data.imageList().toString(), data.landmarkList().toString(),
                "--fixed_spawn", "0.5", "0.5", "0.5", "--steps_per_episode", Integer.toString(STEPS), "--saveGif",
                "--device", "cpu", "--log_dir", dir.resolve("runs").toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        Path run;
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            run = s.findFirst().orElseThrow();
        }
        List<Path> gifs;
        try (Stream<Path> s = Files.list(run.resolve("gifs"))) {
            gifs = s.sorted().toList();
        }
        // numbered as the results.csv rows: the published order plays the first image last
        assertEquals(List.of(run.resolve("gifs/episode_0001_synth_001.gif"),
                run.resolve("gifs/episode_0002_synth_000.gif")), gifs);
        for (Path gif : gifs) {
            int n = frames(gif);
            assertTrue(n >= 2 && n <= 1 + STEPS, gif + ": " + n + " frames, expected the reset plus 1.." + STEPS);
        }
        assertTrue(out.toString().contains("GIFs: " + run.resolve("gifs")), out.toString());
    }
}
