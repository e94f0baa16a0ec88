/**
 * Plain-Java file formats: PyTorch {@code .pt} checkpoints in both directions, without libtorch.
 *
 * <ul>
 *   <li>{@link org.cmarl.engine.io.PtReader}: legacy and zip {@code torch.save} files -> {@link
 *       org.cmarl.engine.io.Checkpoint} (restricted unpickler, never executes anything; every failure is a
 *       {@link org.cmarl.engine.io.CheckpointException} naming the file and the reason).</li>
 *   <li>{@link org.cmarl.engine.io.PtWriter}: state_dicts and training checkpoints in the zip format that
 *       {@code torch.load} reads (pickle and layout as {@code torch.save} writes them), atomically.</li>
 *   <li>{@link org.cmarl.engine.io.CheckpointInspector}: what {@code ./rlm checkpoint} prints.</li>
 *   <li>{@link org.cmarl.engine.io.TensorData}: the exchange type with package {@code nn}, which alone touches
 *       libtorch.</li>
 * </ul>
 * Python values are represented as described in {@link org.cmarl.engine.io.PyValues}.
 */
package org.cmarl.engine.io;
