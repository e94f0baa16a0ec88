package org.cmarl.engine.volume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file list (SPEC.md section 2): a text file with one path per line; blank lines are ignored. A relative path is
 * resolved against the list file's folder first, then against the working directory (the published code only
 * used the working directory); a path found in neither is an error naming the list and the line.
 */
public final class FileList {
    private FileList() {
    }

    /** The listed files, in order, each checked to exist. */
    public static List<Path> read(Path listFile) {
        String unreadable = FileProblem.whyNotReadable(listFile);
        if (unreadable != null) {
            throw new ImageFormatException("file list " + listFile + ": " + unreadable);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(listFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ImageFormatException("file list " + listFile + ": " + FileProblem.describe(listFile, e), e);
        }
        // a UTF-8 byte order mark (Windows editors write one) is not part of the first path
        if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
            lines.set(0, lines.get(0).substring(1));
        }
        Path base = listFile.toAbsolutePath().getParent();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String entry = lines.get(i).strip();
            if (entry.isEmpty()) {
                continue;
            }
            files.add(resolve(listFile, i + 1, entry, base));
        }
        if (files.isEmpty()) {
            throw new ImageFormatException("file list " + listFile + " lists no files");
        }
        return files;
    }

    private static Path resolve(Path listFile, int lineNumber, String entry, Path base) {
        Path p;
        try {
            p = Path.of(entry);
        } catch (InvalidPathException e) {
            throw new ImageFormatException("file list " + listFile + " line " + lineNumber + ": \"" + entry
                    + "\" is not a valid path", e);
        }
        if (p.isAbsolute()) {
            if (Files.isRegularFile(p)) {
                return p;
            }
            throw new ImageFormatException("file list " + listFile + " line " + lineNumber + ": " + p + ": "
                    + FileProblem.whyNotReadable(p));
        }
        Path besideList = base.resolve(p).normalize();
        if (Files.isRegularFile(besideList)) {
            return besideList;
        }
        Path fromWorkingDir = p.toAbsolutePath().normalize();
        if (Files.isRegularFile(fromWorkingDir)) {
            return fromWorkingDir;
        }
        String why = FileProblem.whyNotReadable(besideList);
        throw new ImageFormatException("file list " + listFile + " line " + lineNumber + ": \"" + entry
                + "\" not found (tried " + besideList + " and " + fromWorkingDir + ")"
                + ("no such file".equals(why) ? "" : "; " + besideList + ": " + why));
    }

    /** One image and its landmark file, paired by line. */
    public record Pair(Path image, Path landmarks) {
    }

    /**
     * Reads an image list and a landmark list and pairs them by position.
     *
     * @throws ImageFormatException when the lists have different lengths
     */
    public static List<Pair> pairs(Path imageList, Path landmarkList) {
        List<Path> images = read(imageList);
        List<Path> landmarks = read(landmarkList);
        if (images.size() != landmarks.size()) {
            throw new ImageFormatException("image list " + imageList + " has " + images.size()
                    + " files but landmark list " + landmarkList + " has " + landmarks.size()
                    + "; they are paired by line and must have the same length");
        }
        List<Pair> pairs = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            pairs.add(new Pair(images.get(i), landmarks.get(i)));
        }
        return pairs;
    }
}
