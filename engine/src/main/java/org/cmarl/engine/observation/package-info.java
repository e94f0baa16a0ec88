/**
 * What an observation is, for every package that writes or reads one: its geometry
 * ({@link org.cmarl.engine.observation.ObservationGeometry}: 4 frames of 45^3, 6 actions), its element type
 * ({@link org.cmarl.engine.observation.FrameType}), the byte layout of a batch of observations
 * ({@link org.cmarl.engine.observation.ObservationLayout}) and the 4-frame history kept as a ring with its phase
 * ({@link org.cmarl.engine.observation.FrameRing}). Plain Java: env, replay, nn and eval import it; it imports
 * only {@code memory}.
 */
package org.cmarl.engine.observation;
