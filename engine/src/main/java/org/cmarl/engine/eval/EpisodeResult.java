package org.cmarl.engine.eval;

/**
 * The outcome of one evaluation or play episode.
 *
 * @param run            index of the spawn (fixed-spawn triple, or random-spawn run)
 * @param image          index of the image in the list
 * @param fileName       the image's file name
 * @param start          start voxel per agent
 * @param end            final voxel per agent
 * @param landmarks      landmark voxel per agent, null in play mode
 * @param distanceMm     final distance per agent in mm, NaN in play mode
 * @param steps          steps taken
 * @param finalScale     scale at the end (1 after a completed multiscale search)
 */
public record EpisodeResult(int run, int image, String fileName, int[][] start, int[][] end, int[][] landmarks,
                            double[] distanceMm, int steps, int finalScale) {
    public int agents() {
        return end.length;
    }
}
