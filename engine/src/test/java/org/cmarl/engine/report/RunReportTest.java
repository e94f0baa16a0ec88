package org.cmarl.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.cmarl.engine.cli.Main;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.ResultsCsv;
import org.cmarl.engine.viz.GifSequenceWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rlm report} on an evaluation folder: one self-contained page whose table holds the distance statistics of
 * results.csv, loaded in headless Chromium (Debian package {@code chromium}) and checked by its screenshot and its
 * DOM. Without Chromium the browser part is skipped, except on CI (CI=true), where it fails.
 */
class RunReportTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path dir;

    /** An evaluation folder: 3 episodes at 1, 3 and 8 mm (the worst, number 3, with a 2-frame GIF), logs.txt. */
    Path evaluationRun() throws IOException {
        Path run = dir.resolve("20261201-000000-eval");
        Files.createDirectories(run.resolve("gifs"));
        double[] mm = {1.0, 3.0, 8.0};
        try (ResultsCsv csv = ResultsCsv.create(run.resolve("results.csv"), 1, 3)) {
            for (int image = 0; image < 3; image++) {
                // list image i is published episode (i - 1 mod 3) + 1: numbers 3, 1, 2 for 8, 1, 3 mm
                csv.append(new EpisodeResult(0, image, "scan<" + image + ">.nii.gz", new int[][]{{1, 2, 3}},
                        new int[][]{{4, 5, 6}}, new int[][]{{7, 8, 9}}, new double[]{mm[(image + 2) % 3]}, 9, 1));
            }
        }
        try (GifSequenceWriter gif = new GifSequenceWriter(run.resolve("gifs/episode_0003_scan_0_.gif"), 100)) {
            for (int f = 0; f < 2; f++) {
                BufferedImage frame = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
                frame.setRGB(5 + f, 5, Color.RED.getRGB());
                gif.add(frame);
            }
        }
        Files.writeString(run.resolve("logs.txt"), "command: rlm --task eval --landmarks 13\n");
        return run;
    }

    @Test
    void shouldWriteOneSelfContainedPageWithTheDistanceTableWhenGivenAnEvaluationFolder() throws IOException {
        Path run = evaluationRun();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"report", run.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        assertEquals("report: " + run.resolve("report.html") + System.lineSeparator(), out.toString());
        String html = Files.readString(run.resolve("report.html"));
        // the slow obvious oracle: 1, 3, 8 mm -> mean 4, sample std sqrt(13), median 3, p90 (numpy linear) 7, max 8
        assertTrue(html.contains("<tr><td class=\"name\">0</td><td>3</td><td>4.000</td><td>3.606</td><td>3.000</td>"
                + "<td>7.000</td><td>8.000</td></tr>"), html);
        // worst first, names escaped
        assertTrue(html.contains("<tr><td>3</td><td class=\"name\">scan&lt;0&gt;</td><td>8.000</td></tr>\n"
                + "<tr><td>2</td><td class=\"name\">scan&lt;2&gt;</td><td>3.000</td></tr>"), html);
        assertTrue(html.contains("<pre id=\"configuration\">command: rlm --task eval --landmarks 13</pre>"), html);
        // self-contained: every image inline, nothing fetched
        Matcher src = Pattern.compile("src=\"([^\"]{0,30})").matcher(html);
        int images = 0;
        while (src.find()) {
            assertTrue(src.group(1).startsWith("data:image/gif;base64,"), src.group(1));
            images++;
        }
        assertEquals(1, images, "the worst episode's GIF");
        assertTrue(!html.contains("href=") && !html.contains("<script") && !html.contains("<link"), "no external file");
    }

    @Test
    void shouldRenderTheTableInHeadlessChromiumWhenTheReportIsOpened() throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            String message = CHROMIUM + " missing (Debian: apt-get install chromium)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message + "; CI must install it (.ci/run)");
            }
            Assumptions.abort(message);
        }
        Path run = evaluationRun();
        Path html = RunReport.write(run);
        Path png = dir.resolve("shot.png");
        String dom = chromium(List.of("--screenshot=" + png, "--window-size=1000,900", html.toUri().toString()));
        dom = chromium(List.of("--dump-dom", html.toUri().toString()));
        assertTrue(dom.contains("<td>7.000</td>"), dom);
        assertTrue(dom.contains("id=\"worst\""), dom);
        BufferedImage shot = ImageIO.read(png.toFile());
        assertEquals(1000, shot.getWidth());
        assertEquals(900, shot.getHeight());
        // not blank: the headings, table borders and text leave dark pixels on the white page
        long dark = 0;
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                Color c = new Color(shot.getRGB(x, y));
                if (c.getRed() + c.getGreen() + c.getBlue() < 3 * 128) {
                    dark++;
                }
            }
        }
        assertTrue(dark > 2000 && dark < 0.5 * 1000 * 900, dark + " dark pixels");
        // the GIF (40 x 30 black with a red dot) is drawn: a red pixel somewhere on the page
        boolean red = false;
        for (int y = 0; y < shot.getHeight() && !red; y++) {
            for (int x = 0; x < shot.getWidth() && !red; x++) {
                Color c = new Color(shot.getRGB(x, y));
                red = c.getRed() > 200 && c.getGreen() < 60 && c.getBlue() < 60;
            }
        }
        assertTrue(red, "the worst episode's GIF on the screenshot");
    }

    /** Runs headless Chromium with a fresh profile; returns its standard output. */
    private String chromium(List<String> args) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> command = new java.util.ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium timed out");
        assertEquals(0, p.exitValue(), "chromium exit code");
        return out;
    }
}
