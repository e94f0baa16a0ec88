/**
 * Multi-process runs, plain Java: where a process sits in the run (the launchers' environment variables), the
 * launcher of local ranks, and the error a rank reports when another fails. The c10d process group itself is
 * {@code org.cmarl.engine.nn.DistributedGroup} (the only code here that touches libtorch is in {@code nn}).
 */
package org.cmarl.engine.dist;
