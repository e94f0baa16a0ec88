/**
 * The multi-agent landmark environment of SPEC.md section 3 and its zero-copy ROI extraction.
 *
 * <ul>
 *   <li>{@link org.cmarl.engine.env.LandmarkEnv}: episodes (reset, step), rewards, the training terminal rule,
 *       the all-agents oscillation test, the jump, scale stepping; frames written into a
 *       {@link org.cmarl.engine.observation.FrameRing} (the caller's network-input row or its own block).</li>
 *   <li>{@code AgentHistory}: one agent's last 20 locations and Q-values, the oscillation
 *       test over them and the jump target.</li>
 *   <li>{@link org.cmarl.engine.env.EnvConfig}, {@link org.cmarl.engine.env.Mode},
 *       {@link org.cmarl.engine.env.Spawn}, {@link org.cmarl.engine.env.Actions}: what an environment is asked to
 *       do.</li>
 *   <li>{@link org.cmarl.engine.env.RoiWindow} (crop geometry with the clamping phase-shift quirk),
 *       {@link org.cmarl.engine.env.RoiExtractor} (row copies from the volume's off-heap plane),
 *       {@link org.cmarl.engine.env.DecimatedPlane} (per-image re-layout that makes scale 2/3 rows
 *       contiguous, built lazily one phase at a time once a phase is used often enough).</li>
 * </ul>
 * The observation's shape, element type and byte layout live in {@code org.cmarl.engine.observation}.
 * Reproduced quirks of the published system are marked {@code [quirk]} at the lines that reproduce them. Plain
 * Java: nothing here touches libtorch.
 */
package org.cmarl.engine.env;
