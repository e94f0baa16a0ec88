package org.cmarl.engine.dataset;

import org.cmarl.engine.volume.Volume;

/**
 * One image of a data set ({@link ImageDataset}) and, except in play mode, each agent's landmark on it: what training
 * and evaluation episodes run on.
 *
 * @param fileName  the image file's name, as the results report it
 * @param volume    the normalised image (not owned)
 * @param landmarks one {@code (x, y, z)} voxel per agent, or null in play mode
 */
public record LabelledImage(String fileName, Volume volume, int[][] landmarks) {
}
