package org.cmarl.engine.volume;

/**
 * Statistics of an image's intensities, taken when it is loaded (SPEC.md section 1).
 *
 * @param rawMin         minimum of the raw (slope/intercept-scaled) voxels
 * @param rawMax         maximum of the raw voxels
 * @param rawMean        mean of the raw voxels (double accumulation)
 * @param p10            10th percentile of the raw voxels, numpy's linear interpolation
 * @param p99            99th percentile of the raw voxels, numpy's linear interpolation
 * @param normalisedMean mean of the normalised voxels in [0, 255]
 */
public record IntensityStats(double rawMin, double rawMax, double rawMean, double p10, double p99,
                             double normalisedMean) {
}
