package org.cmarl.engine.viz;

import java.awt.image.IndexColorModel;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * An animated GIF written frame by frame with the JDK's ImageIO GIF writer: each frame goes to the file as it is
 * added, so memory does not grow with the number of frames. The first frame carries the NETSCAPE2.0 loop extension
 * (loop forever); every frame carries the delay. Frames should share one size and be indexed images (see
 * {@link Palette}); the writer quantises other images itself, slowly.
 */
public final class GifSequenceWriter implements AutoCloseable {
    private static final String FORMAT = "javax_imageio_gif_image_1.0";

    private final Path file;
    private final ImageWriter writer;
    private final ImageOutputStream stream;
    private final int delayCentiseconds;
    private int frames;
    private boolean closed;

    /**
     * @param file              the GIF to create (replaced if present)
     * @param delayMs           time each frame shows, in ms; GIF stores hundredths of a second (rounded, at least 1)
     */
    public GifSequenceWriter(Path file, int delayMs) throws IOException {
        if (delayMs < 0) {
            throw new IllegalArgumentException("GIF frame delay " + delayMs + " ms must be >= 0");
        }
        Headless.ensure();
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("gif");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this Java runtime has no ImageIO GIF writer");
        }
        this.file = file;
        this.writer = writers.next();
        Files.deleteIfExists(file);
        this.stream = ImageIO.createImageOutputStream(file.toFile());
        if (stream == null) {
            writer.dispose();
            throw new IOException("cannot open " + file + " for writing");
        }
        this.delayCentiseconds = Math.max(1, Math.round(delayMs / 10f));
        writer.setOutput(stream);
    }

    /** Appends one frame. */
    public void add(RenderedImage frame) throws IOException {
        if (closed) {
            throw new IllegalStateException("GIF " + file + " already closed");
        }
        ImageWriteParam param = writer.getDefaultWriteParam();
        if (frames == 0) {
            writer.prepareWriteSequence(streamMetadata(frame, param));
        }
        // Not ImageTypeSpecifier.createFromRenderedImage: for a TYPE_BYTE_INDEXED BufferedImage it returns the
        // standard type with the default 6x6x6 colour cube, and the frame's own palette would be lost.
        IIOMetadata meta = writer.getDefaultImageMetadata(
                new ImageTypeSpecifier(frame.getColorModel(), frame.getSampleModel()), param);
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(FORMAT);
        IIOMetadataNode control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("delayTime", Integer.toString(delayCentiseconds));
        control.setAttribute("transparentColorIndex", "0");
        if (frames == 0) {
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[]{1, 0, 0}); // sub-block 1, loop count 0 (little endian) = forever
            child(root, "ApplicationExtensions").appendChild(app);
        }
        meta.setFromTree(FORMAT, root);
        writer.writeToSequence(new IIOImage(frame, null, meta), param);
        frames++;
    }

    /**
     * Stream metadata whose global colour table is the first frame's palette: without it the JDK writer puts a
     * default palette in the file and the indexed pixels show the wrong colours.
     */
    private IIOMetadata streamMetadata(RenderedImage frame, ImageWriteParam param) throws IOException {
        IIOMetadata stream = writer.getDefaultStreamMetadata(param);
        String format = "javax_imageio_gif_stream_1.0";
        IIOMetadataNode root = (IIOMetadataNode) stream.getAsTree(format);
        IIOMetadataNode screen = child(root, "LogicalScreenDescriptor");
        screen.setAttribute("logicalScreenWidth", Integer.toString(frame.getWidth()));
        screen.setAttribute("logicalScreenHeight", Integer.toString(frame.getHeight()));
        screen.setAttribute("colorResolution", "8");
        screen.setAttribute("pixelAspectRatio", "0");
        if (frame.getColorModel() instanceof IndexColorModel cm) {
            IIOMetadataNode table = child(root, "GlobalColorTable");
            int size = Integer.highestOneBit(Math.max(2, cm.getMapSize() - 1)) << 1;
            table.setAttribute("sizeOfGlobalColorTable", Integer.toString(Math.min(256, size)));
            table.setAttribute("backgroundColorIndex", "0");
            table.setAttribute("sortFlag", "FALSE");
            for (int i = 0; i < Math.min(256, size); i++) {
                IIOMetadataNode entry = new IIOMetadataNode("ColorTableEntry");
                int rgb = i < cm.getMapSize() ? cm.getRGB(i) : 0;
                entry.setAttribute("index", Integer.toString(i));
                entry.setAttribute("red", Integer.toString((rgb >> 16) & 0xff));
                entry.setAttribute("green", Integer.toString((rgb >> 8) & 0xff));
                entry.setAttribute("blue", Integer.toString(rgb & 0xff));
                table.appendChild(entry);
            }
        }
        stream.setFromTree(format, root);
        return stream;
    }

    /** Frames written so far. */
    public int frames() {
        return frames;
    }

    public Path file() {
        return file;
    }

    /** Finishes the file (idempotent). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (frames > 0) {
                writer.endWriteSequence();
            }
        } finally {
            writer.dispose();
            stream.close();
        }
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }
}
