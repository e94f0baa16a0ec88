package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageInfoTest {
    @TempDir
    Path dir;

    @Test
    void shouldReportPublishedStatisticsAndGeometryWhenSampleScan() throws Exception {
        JsonNode ref = NormalisationParityTest.reference().get("images").get(0);
        Path file = NormalisationParityTest.shared().resolve("sample-data/brain/images")
                .resolve(ref.get("image_file").asText());
        ObjectNode json = ImageInfo.describe(file);
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("file", "dims", "datatype", "spacing", "affine", "min", "max", "mean", "p10", "p99",
                "normalisedMean"), keys);
        assertEquals(file.toString(), json.get("file").asText());
        assertEquals("[182,218,182]", json.get("dims").toString());
        assertEquals("float32", json.get("datatype").asText());
        assertEquals("[1.0,1.0,1.0]", json.get("spacing").toString());
        // the sample header: qform_code 1, quaternion (0, 1, 0), qfac -1, offset (90, -126, -72)
        assertEquals("[[-1.0,0.0,0.0,90.0],[0.0,1.0,0.0,-126.0],[0.0,0.0,1.0,-72.0],[0.0,0.0,0.0,1.0]]",
                json.get("affine").toString());
        assertEquals(ref.get("raw").get("min").asDouble(), json.get("min").asDouble(), 1e-3);
        assertEquals(ref.get("raw").get("max").asDouble(), json.get("max").asDouble(), 1e-3);
        assertEquals(ref.get("raw").get("mean").asDouble(), json.get("mean").asDouble(), 1e-3);
        assertEquals(ref.get("raw").get("p10").asDouble(), json.get("p10").asDouble(), 1e-3);
        assertEquals(ref.get("raw").get("p99").asDouble(), json.get("p99").asDouble(), 1e-3);
        assertEquals(ref.get("normalised").get("mean").asDouble(), json.get("normalisedMean").asDouble(), 1e-3);
    }

    @Test
    void shouldReportFileAndErrorWhenImageIsUnusable() throws IOException {
        Path constant = dir.resolve("constant.nii");
        NiftiWriter.of(2, 2, 2).write(constant, new float[8]);
        ObjectNode json = ImageInfo.describe(constant);
        assertEquals(2, json.size());
        assertEquals(constant.toString(), json.get("file").asText());
        assertTrue(json.get("error").asText().contains("constant image"), json.toString());
        ObjectNode missing = ImageInfo.describe(dir.resolve("missing.nii"));
        assertTrue(missing.get("error").asText().contains("no such image file"), missing.toString());
    }
}
