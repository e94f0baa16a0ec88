/**
 * Synthetic, learnable stand-ins for the brain dataset ({@link org.cmarl.engine.synth.SyntheticDataset}): smooth
 * phantoms with landmark structures, written as float32 NIfTI plus brain-format landmark files and file lists, so
 * that training and evaluation can be exercised without the published data.
 */
package org.cmarl.engine.synth;
