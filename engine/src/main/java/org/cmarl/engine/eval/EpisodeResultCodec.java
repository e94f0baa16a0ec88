package org.cmarl.engine.eval;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Episode results as bytes, exactly (doubles as their bits), for one rank of a multi-process evaluation to hand
 * its share to rank 0 through the run's c10d store. Decoding checks every count against the bytes left, so a
 * corrupt record fails with a message rather than a huge allocation.
 */
public final class EpisodeResultCodec {
    private static final int MAGIC = 0x524C4D45; // "RLME"

    private EpisodeResultCodec() {
    }

    public static byte[] encode(List<EpisodeResult> results) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(results.size());
            for (EpisodeResult r : results) {
                out.writeInt(r.run());
                out.writeInt(r.image());
                out.writeUTF(r.fileName());
                out.writeInt(r.agents());
                writeVoxels(out, r.start());
                writeVoxels(out, r.end());
                out.writeBoolean(r.landmarks() != null);
                if (r.landmarks() != null) {
                    writeVoxels(out, r.landmarks());
                }
                for (double d : r.distanceMm()) {
                    out.writeLong(Double.doubleToRawLongBits(d));
                }
                out.writeInt(r.steps());
                out.writeInt(r.finalScale());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static List<EpisodeResult> decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (bytes.length < 8 || in.readInt() != MAGIC) {
                throw new IllegalArgumentException("episode results record of " + bytes.length
                        + " bytes has no RLME header");
            }
            int n = in.readInt();
            if (n < 0 || n > bytes.length / 16) {
                throw new IllegalArgumentException("episode results record claims " + n + " episodes in "
                        + bytes.length + " bytes");
            }
            List<EpisodeResult> results = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int run = in.readInt();
                int image = in.readInt();
                String name = in.readUTF();
                int agents = in.readInt();
                if (agents < 1 || agents > in.available() / 8) {
                    throw new IllegalArgumentException("episode results record: " + agents + " agents in "
                            + in.available() + " bytes left");
                }
                int[][] start = readVoxels(in, agents);
                int[][] end = readVoxels(in, agents);
                int[][] landmarks = in.readBoolean() ? readVoxels(in, agents) : null;
                double[] distance = new double[agents];
                for (int a = 0; a < agents; a++) {
                    distance[a] = Double.longBitsToDouble(in.readLong());
                }
                results.add(new EpisodeResult(run, image, name, start, end, landmarks, distance, in.readInt(),
                        in.readInt()));
            }
            return results;
        } catch (IOException e) {
            throw new IllegalArgumentException("episode results record of " + bytes.length + " bytes is truncated", e);
        }
    }

    private static void writeVoxels(DataOutputStream out, int[][] v) throws IOException {
        for (int[] p : v) {
            for (int axis = 0; axis < 3; axis++) {
                out.writeInt(p[axis]);
            }
        }
    }

    private static int[][] readVoxels(DataInputStream in, int agents) throws IOException {
        int[][] v = new int[agents][3];
        for (int[] p : v) {
            for (int axis = 0; axis < 3; axis++) {
                p[axis] = in.readInt();
            }
        }
        return v;
    }
}
