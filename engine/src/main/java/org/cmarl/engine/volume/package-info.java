/**
 * Images and landmarks: everything between files on disk and a normalised {@link org.cmarl.engine.volume.Volume}.
 *
 * <ul>
 *   <li>{@link org.cmarl.engine.volume.NiftiReader} reads NIfTI-1 ({@code .nii}, {@code .nii.gz}, {@code .hdr/.img};
 *       uint8, int8, int16, uint16, int32, uint32, float32, float64; either byte order; 3D or 4D with a singleton 4th
 *       axis) and normalises intensities exactly as the published system (SPEC.md section 1, bit-identical on the
 *       ten sample scans). {@link org.cmarl.engine.volume.NiftiHeader} is the checked header,
 *       {@link org.cmarl.engine.volume.RawImage} the un-normalised voxels.</li>
 *   <li>{@link org.cmarl.engine.volume.IntensityNormaliser}: numpy-linear p10 / p99 by exact radix selection, clip,
 *       rescale.</li>
 *   <li>{@link org.cmarl.engine.volume.NiftiWriter} writes NIfTI-1 (synthetic data, test fixtures).</li>
 *   <li>{@link org.cmarl.engine.volume.LandmarkReader}, {@link org.cmarl.engine.volume.LandmarkSet},
 *       {@link org.cmarl.engine.volume.FileType}: the brain, fetal and cardiac landmark formats (SPEC.md section 2);
 *       {@link org.cmarl.engine.volume.FileList}: image and landmark lists.</li>
 *   <li>{@link org.cmarl.engine.volume.ImageInfo}: what {@code rlm info} prints.</li>
 * </ul>
 *
 * Every unusable input is one {@link org.cmarl.engine.volume.ImageFormatException} whose message starts with the file
 * and says what was found and what was expected.
 */
package org.cmarl.engine.volume;
