/**
 * What a person looks at: episode GIFs ({@link org.cmarl.engine.viz.EpisodeGifRecorder}), landmark montages
 * ({@link org.cmarl.engine.viz.LandmarkMontage}) and training plots ({@link org.cmarl.engine.viz.ProgressPlot}).
 * Plain java.awt and javax.imageio, headless (see {@link org.cmarl.engine.viz.Headless}): no display is needed.
 *
 * <p>Slices are drawn the way the published viewer shows them (SPEC.md section 6, {@code --saveGif}): the first
 * in-plane axis runs left to right, the second bottom to top (the published {@code flipud(transpose(plane))}), one
 * voxel is {@code pixelsPerVoxel} x {@code pixelsPerVoxel} pixels, voxels are drawn square whatever the spacing.
 */
package org.cmarl.engine.viz;
