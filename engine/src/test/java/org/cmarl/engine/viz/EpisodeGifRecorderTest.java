package org.cmarl.engine.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpisodeGifRecorderTest {
    static final int NX = 60;
    static final int NY = 50;
    static final int NZ = 40;
    static final int MAX_STEPS = 7;

    @TempDir
    Path dir;

    /** Reads every frame of a GIF (each written whole, so no compositing is needed). */
    static List<BufferedImage> frames(Path gif) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            int n = reader.getNumImages(true);
            BufferedImage[] out = new BufferedImage[n];
            for (int i = 0; i < n; i++) {
                out[i] = reader.read(i);
            }
            return List.of(out);
        } finally {
            reader.dispose();
        }
    }

    static String delayOfFirstFrame(Path gif) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_gif_image_1.0");
            return ((IIOMetadataNode) root.getElementsByTagName("GraphicControlExtension").item(0))
                    .getAttribute("delayTime");
        } finally {
            reader.dispose();
        }
    }

    @Test
    void shouldWriteOneFramePerStateWithAgentsDrawnWhenEpisodesRun() throws IOException {
        Path gifs = dir.resolve("gifs");
        List<EpisodeResult> results;
        try (Volume a = VizFixtures.ramp("scan a.nii.gz", NX, NY, NZ);
             Volume b = VizFixtures.ramp("b.nii", NX, NY, NZ);
             VizFixtures.FixedActionQ q = new VizFixtures.FixedActionQ(2, 2, 2);
             EpisodeGifRecorder recorder = new EpisodeGifRecorder(gifs, 80, 2)) {
            int[][] landmarks = {{10, 12, 30}, {45, 40, 8}};
            List<LabelledImage> images = List.of(new LabelledImage("scan a.nii.gz", a, landmarks),
                    new LabelledImage("b.nii", b, landmarks));
            results = new Evaluator(q, Mode.EVAL, MAX_STEPS).run(images, List.of(Spawn.fixed(0.5, 0.5, 0.5)),
                    null, r -> { }, recorder);
            assertEquals(List.of(gifs.resolve("episode_0001_scan_a.gif"), gifs.resolve("episode_0002_b.gif")),
                    recorder.written().stream().sorted().toList());
        }
        EpisodeFrameRenderer layout = new EpisodeFrameRenderer(2);
        for (EpisodeResult r : results) {
            Path gif = gifs.resolve(EpisodeGifRecorder.fileName(r.image(), r.fileName()));
            List<BufferedImage> frames = frames(gif);
            assertEquals(1 + r.steps(), frames.size(), "reset frame plus one per step");
            assertEquals("8", delayOfFirstFrame(gif), "80 ms in hundredths of a second");
            for (BufferedImage f : frames) {
                // 60 voxels at 2 px would be 120 px: raised to 3 px a voxel so the captions fit in 180 px
                assertEquals(2 * NX * 3 + EpisodeFrameRenderer.GAP_PX, f.getWidth());
                assertEquals(EpisodeFrameRenderer.HEADER_PX + NY * 3, f.getHeight());
            }
            for (int agent = 0; agent < 2; agent++) {
                int[] first = layout.voxelCentrePx(agent, r.start()[agent][0], r.start()[agent][1], NX, NY);
                int[] last = layout.voxelCentrePx(agent, r.end()[agent][0], r.end()[agent][1], NX, NY);
                assertEquals(Palette.agent(agent).getRGB(), frames.get(0).getRGB(first[0], first[1]) | 0xff000000);
                assertEquals(Palette.agent(agent).getRGB(),
                        frames.get(frames.size() - 1).getRGB(last[0], last[1]) | 0xff000000);
                int[] target = layout.voxelCentrePx(agent, landmarks(agent)[0], landmarks(agent)[1], NX, NY);
                assertEquals(Palette.TARGET.getRGB(), frames.get(0).getRGB(target[0], target[1]) | 0xff000000);
            }
            // A voxel away from every mark shows the slice through the agent: grey (x + 2y + 3z) mod 200.
            int z = r.start()[0][2];
            int[] corner = layout.voxelCentrePx(0, 1, NY - 2, NX, NY);
            int grey = Math.round(Palette.greyIndex((1 + 2 * (NY - 2) + 3 * z) % 200) * 255f
                    / (Palette.GREY_LEVELS - 1));
            assertEquals(new Color(grey, grey, grey).getRGB(), frames.get(0).getRGB(corner[0], corner[1]) | 0xff000000);
        }
    }

    static int[] landmarks(int agent) {
        return agent == 0 ? new int[]{10, 12, 30} : new int[]{45, 40, 8};
    }

    @Test
    void shouldDrawAgentsButNoTargetWhenPlaying() throws IOException {
        Path gifs = dir.resolve("play");
        List<EpisodeResult> results;
        try (Volume a = VizFixtures.ramp("p.nii.gz", NX, NY, NZ);
             VizFixtures.FixedActionQ q = new VizFixtures.FixedActionQ(1, 1, 0);
             EpisodeGifRecorder recorder = new EpisodeGifRecorder(gifs, 100, 1)) {
            results = new Evaluator(q, Mode.PLAY, MAX_STEPS).run(List.of(new LabelledImage("p.nii.gz", a, null)),
                    List.of(Spawn.fixed(0.5, 0.5, 0.5)), null, r -> { }, recorder);
        }
        List<BufferedImage> frames = frames(gifs.resolve("episode_0001_p.gif"));
        assertEquals(1 + results.get(0).steps(), frames.size());
        EpisodeFrameRenderer layout = new EpisodeFrameRenderer(1);
        for (int i = 0; i < frames.size(); i++) {
            BufferedImage f = frames.get(i);
            assertEquals(NX * 3, f.getWidth(), "1 px a voxel asked, 3 needed for the captions");
            for (int y = 0; y < f.getHeight(); y++) {
                for (int x = 0; x < f.getWidth(); x++) {
                    assertTrue((f.getRGB(x, y) | 0xff000000) != Palette.TARGET.getRGB(), "no target in play mode");
                }
            }
        }
        int[] end = layout.voxelCentrePx(0, results.get(0).end()[0][0], results.get(0).end()[0][1], NX, NY);
        assertEquals(Palette.agent(0).getRGB(), frames.get(frames.size() - 1).getRGB(end[0], end[1]) | 0xff000000);
    }

    @Test
    void shouldNameGifByEpisodeNumberAndImageStemWhenNameHasSpaces() {
        assertEquals("episode_0012_ADNI_002_x.gif", EpisodeGifRecorder.fileName(11, "ADNI 002/x.nii.gz"));
    }

    @Test
    void shouldScaleSmallImagesUntilTheCaptionsFitWhenRendering() {
        EpisodeFrameRenderer r = new EpisodeFrameRenderer(2);
        assertEquals(4, r.pixelsPerVoxel(48), "a 48^3 phantom: 192 px instead of 96");
        assertEquals(6, r.pixelsPerVoxel(32));
        assertEquals(2, r.pixelsPerVoxel(182), "a brain scan keeps the requested scale");
        assertEquals(16, r.pixelsPerVoxel(5), "at most 16 px a voxel");
        assertEquals(2 * 48 * 4 + EpisodeFrameRenderer.GAP_PX, r.frameWidthPx(2, 48));
        java.awt.FontMetrics m = new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB)
                .createGraphics().getFontMetrics(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 13));
        // the captions as drawn: "Agent 0" at 4 px and "step 200" at 70 px, "scale 3   z=181", "123.45 mm"
        assertTrue(70 + m.stringWidth("step 200") <= EpisodeFrameRenderer.MIN_PANEL_PX);
        assertTrue(4 + m.stringWidth("scale 3   z=181") <= EpisodeFrameRenderer.MIN_PANEL_PX);
        assertTrue(4 + m.stringWidth("123.45 mm") <= EpisodeFrameRenderer.MIN_PANEL_PX);
    }
}
