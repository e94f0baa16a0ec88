package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;

import org.cmarl.engine.dataset.ImageDataset;
import org.cmarl.engine.viz.EpisodeGifRecorder;
import org.cmarl.engine.viz.LandmarkMontage;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlm visualise}: the published visualiser.py, writing one PNG montage per image instead of a window. */
@Command(name = "visualise", aliases = "visualize", mixinStandardHelpOptions = true,
        description = "Write, per image, a PNG of the axial, coronal and sagittal slices through each landmark, "
                + "the landmark marked and labelled: a check that images and landmark files agree.")
final class VisualiseCommand implements Callable<Integer> {
    @Option(names = "--files", arity = "2", required = true, paramLabel = "LIST",
            description = "File lists: images, then landmarks (paired line by line).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--landmarks", arity = "1..*", paramLabel = "ID",
            description = "Landmark ids (rows of the landmark file) to show. Default: every landmark of each file.")
    List<Integer> landmarks = new ArrayList<>();

    @Option(names = "--file_type", description = "Landmark file format: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            defaultValue = "brain", converter = EnumFlags.FileTypes.class,
            completionCandidates = EnumFlags.FileTypes.class)
    FileType fileType;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "visualise",
            description = "Folder for the PNGs (created). Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--pixels_per_voxel", defaultValue = "2",
            description = "Pixels per voxel side. Default: ${DEFAULT-VALUE}.")
    int pixelsPerVoxel;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (pixelsPerVoxel < 1 || pixelsPerVoxel > 16) {
            throw new BadInputException("--pixels_per_voxel " + pixelsPerVoxel + " must be 1..16");
        }
        FlagChecks.landmarkIds("--landmarks", landmarks);
        PrintWriter w = spec.commandLine().getOut();
        PrintStream console = new PrintStream(new WriterOutputStream(w), true, StandardCharsets.UTF_8);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new BadInputException("--out " + out + " cannot be created: " + Main.message(e));
        }
        LandmarkMontage montage = new LandmarkMontage(pixelsPerVoxel);
        try (ImageDataset set = ImageDataset.load(files, false, console)) {
            for (int i = 0; i < set.size(); i++) {
                Volume v = set.volume(i);
                List<Integer> ids = landmarks;
                if (ids.isEmpty()) {
                    int count = LandmarkReader.read(set.landmarkFile(i), fileType, v.voxelToPhysical()).count();
                    ids = new ArrayList<>();
                    for (int id = 0; id < count; id++) {
                        ids.add(id);
                    }
                }
                List<int[]> voxels = new ArrayList<>();
                for (int id : ids) {
                    voxels.add(LandmarkReader.landmark(set.landmarkFile(i), fileType, id, v));
                }
                String name = set.imageFile(i).getFileName().toString();
                Path png = out.resolve(EpisodeGifRecorder.stem(name) + "_landmarks.png");
                ImageIO.write(montage.render(v, name, ids, voxels), "png", png.toFile());
                w.println(png);
            }
        }
        return 0;
    }
}
