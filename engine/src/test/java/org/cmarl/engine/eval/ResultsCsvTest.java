package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * results.csv against files written by Python's csv module the way the published logger writes them
 * (src/test/python/published_results_csv.py generated the fixtures under src/test/resources/published).
 */
class ResultsCsvTest {
    static final Path SHARED = Path.of(System.getProperty("rlm.shared.dir", "../shared"));

    @TempDir
    Path dir;

    @Test
    void shouldWriteThePublishedBytesWhenGivenTheReferenceEpisodes() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(SHARED.resolve("reference/singleagent_eval_fixed.json").toFile());
        List<JsonNode> episodes = new ArrayList<>();
        ref.get("episodes").forEach(episodes::add);
        episodes.sort((a, b) -> a.get("run").asInt() != b.get("run").asInt()
                ? Integer.compare(a.get("run").asInt(), b.get("run").asInt())
                : Integer.compare(a.get("episode_in_run").asInt(), b.get("episode_in_run").asInt()));
        int images = 10; // the reference ran the 10-scan list and kept 6 scans' episodes
        Path file = dir.resolve("results.csv");
        try (ResultsCsv csv = ResultsCsv.create(file, 1, images)) {
            for (JsonNode e : episodes) {
                // the published k-th episode of a run is on list image (k + 1) % images
                int image = (e.get("episode_in_run").asInt() + 1) % images;
                csv.append(new EpisodeResult(e.get("run").asInt(), image, e.get("image_file").asText() + ".nii.gz",
                        new int[][]{ints(e.get("start_xyz"))}, new int[][]{ints(e.get("final_xyz"))},
                        new int[][]{ints(e.get("landmark_xyz"))}, new double[]{e.get("distance_error_mm").asDouble()},
                        e.get("steps").asInt(), e.get("final_scale").asInt()));
            }
        }
        assertEquals(163, Files.readAllLines(file).size());
        assertArrayEquals(fixture("results_fixed.csv"), Files.readAllBytes(file));
    }

    @Test
    void shouldQuoteNamesLikePythonWhenTheyHoldCommasQuotesOrLineBreaks() throws IOException {
        Path file = dir.resolve("results.csv");
        String[] names = {"scan,a.nii.gz", "say \"hi\".nii.gz", "two\nlines.nii.gz"};
        int[][][] ends = {{{4, 5, 6}, {7, 8, 9}}, {{1, 2, 3}, {3, 2, 1}}, {{0, 0, 0}, {0, 0, 0}}};
        try (ResultsCsv csv = ResultsCsv.create(file, 2, 3)) {
            for (int i = 0; i < 3; i++) {
                // play mode: no landmarks; image i + 1 of 3 is published episode i
                csv.append(new EpisodeResult(0, (i + 1) % 3, names[i], ends[i], ends[i], null,
                        new double[]{Double.NaN, Double.NaN}, 5, 1));
            }
        }
        assertArrayEquals(fixture("results_names.csv"), Files.readAllBytes(file));
    }

    @Test
    void shouldKeepEveryFinishedRowWhenTheWriterIsNeverClosed() throws IOException {
        Path file = dir.resolve("results.csv");
        ResultsCsv csv = ResultsCsv.create(file, 1, 2);
        csv.append(new EpisodeResult(0, 1, "b.nii.gz", new int[][]{{1, 2, 3}}, new int[][]{{4, 5, 6}},
                new int[][]{{7, 8, 9}}, new double[]{1.5}, 12, 1));
        // read while the writer is still open, as after a crash: the header and the finished row are on disk
        assertEquals("number,Filename 0,Agent 0 pos x,Agent 0 pos y,Agent 0 pos z,Landmark 0 pos x,Landmark 0 pos y,"
                + "Landmark 0 pos z,Distance 0\r\n1,b,4,5,6,7.0,8.0,9.0,1.5\r\n", Files.readString(file));
        csv.close();
    }

    @Test
    void shouldNumberTheFirstListImageLastWhenNumberingAsPublished() {
        assertEquals(3, ResultsCsv.number(0, 0, 3));
        assertEquals(1, ResultsCsv.number(0, 1, 3));
        assertEquals(2, ResultsCsv.number(0, 2, 3));
        assertEquals(6, ResultsCsv.number(1, 0, 3));
        assertEquals(4, ResultsCsv.number(1, 1, 3));
        assertEquals(1, ResultsCsv.number(0, 0, 1));
    }

    @Test
    void shouldCutOnlyNiiGzWhenNamingTheImage() {
        assertEquals("ADNI_002", ResultsCsv.publishedName("ADNI_002.nii.gz"));
        assertEquals("scan.nii", ResultsCsv.publishedName("scan.nii"));
        assertEquals("scan.hdr", ResultsCsv.publishedName("scan.hdr"));
    }

    @Test
    void shouldPrintPythonReprWhenFormattingDoubles() throws IOException {
        List<String> lines = new String(fixture("float_repr.txt"), StandardCharsets.US_ASCII).lines().toList();
        assertEquals(783, lines.size());
        for (String line : lines) {
            String[] f = line.split(" ");
            double v = Double.longBitsToDouble(Long.parseUnsignedLong(f[0], 16));
            assertEquals(f[1], PythonFloat.repr(v), "bits " + f[0]);
        }
    }

    private static int[] ints(JsonNode n) {
        return new int[]{n.get(0).asInt(), n.get(1).asInt(), n.get(2).asInt()};
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = ResultsCsvTest.class.getResourceAsStream("/published/" + name)) {
            return in.readAllBytes();
        }
    }
}
