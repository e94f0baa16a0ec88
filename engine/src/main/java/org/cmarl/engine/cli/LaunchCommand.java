package org.cmarl.engine.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rlm launch}: starts this host's ranks of a multi-process run as child JVMs, with the variables torchrun
 * sets ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR},
 * {@code MASTER_PORT}), prefixes every line they print with {@code [rank N]}, and when one rank fails stops the
 * others (SIGTERM, then SIGKILL after {@link #GRACE_SECONDS}) and exits with the failed rank's code.
 */
@Command(name = "launch", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Start this host's ranks of a multi-process (data-parallel) run, like torchrun:",
                "  rlm launch --nproc_per_node 2 -- --task train --files ... --seed 1",
                "Every rank gets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT",
                "and its own CUDA_VISIBLE_DEVICES entry. On several hosts: once per host,",
                "with --nnodes and --node_rank. Output lines start with [rank N]; when a",
                "rank fails the others are stopped and its exit code is returned."})
public final class LaunchCommand implements Callable<Integer> {
    /**
     * Seconds the other ranks get to stop after SIGTERM before they are killed: a training rank finishes its update
     * and rank 0 writes its checkpoint first (see {@link StopOnSignal#DEFAULT_WAIT_SECONDS}).
     */
    static final int GRACE_SECONDS = StopOnSignal.DEFAULT_WAIT_SECONDS + 20;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--nproc_per_node", required = true, paramLabel = "N",
            description = "Ranks to start on this host (one per GPU on a GPU server).",
            converter = RunOptions.IntegralNumber.class)
    int nprocPerNode;

    @Option(names = "--nnodes", paramLabel = "M", defaultValue = "1", converter = RunOptions.IntegralNumber.class,
            description = "Hosts in the run. Default: ${DEFAULT-VALUE}.")
    int nnodes;

    @Option(names = "--node_rank", paramLabel = "K", defaultValue = "0", converter = RunOptions.IntegralNumber.class,
            description = "This host's index, 0..M-1 (host 0 runs rank 0 and its store). Default: ${DEFAULT-VALUE}.")
    int nodeRank;

    @Option(names = "--master_addr", paramLabel = "H", defaultValue = "127.0.0.1",
            description = "Host of rank 0 (reachable from every host). Default: ${DEFAULT-VALUE}.")
    String masterAddr;

    @Option(names = "--master_port", paramLabel = "P", defaultValue = "29500",
            converter = RunOptions.IntegralNumber.class,
            description = "Free TCP port on the master host for the c10d store. Default: ${DEFAULT-VALUE}.")
    int masterPort;

    @Parameters(paramLabel = "FLAGS", arity = "0..*", description = "After --: the usual rlm flags of every rank.")
    List<String> flags = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (nprocPerNode < 1 || nprocPerNode > 1024) {
            throw new BadInputException("--nproc_per_node " + nprocPerNode + ", expected 1..1024");
        }
        if (nnodes < 1 || (long) nnodes * nprocPerNode > (1 << 20)) {
            throw new BadInputException("--nnodes " + nnodes + ", expected 1.." + ((1 << 20) / nprocPerNode));
        }
        if (nodeRank >= nnodes) {
            throw new BadInputException("--node_rank " + nodeRank + ", expected 0.." + (nnodes - 1) + " (--nnodes "
                    + nnodes + ")");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new BadInputException("--master_port " + masterPort + ", expected 1..65535");
        }
        if (masterAddr.isBlank() || masterAddr.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
            throw new BadInputException("--master_addr '" + masterAddr + "' is not a host name or address");
        }
        if (flags.isEmpty()) {
            throw new BadInputException("launch needs the run's flags after --, e.g. rlm launch --nproc_per_node 2"
                    + " -- --task train --files images.txt landmarks.txt");
        }
        if (flags.get(0).equals("launch")) {
            throw new BadInputException("launch cannot start another launch");
        }
        int world = nnodes * nprocPerNode;
        List<Process> ranks = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        Thread stopOnExit = new Thread(() -> stopAll(ranks, -1));
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        try {
            for (int local = 0; local < nprocPerNode; local++) {
                int rank = nodeRank * nprocPerNode + local;
                ProcessBuilder pb = new ProcessBuilder(childCommand());
                Map<String, String> env = pb.environment();
                env.put("RANK", Integer.toString(rank));
                env.put("WORLD_SIZE", Integer.toString(world));
                env.put("LOCAL_RANK", Integer.toString(local));
                env.put("LOCAL_WORLD_SIZE", Integer.toString(nprocPerNode));
                env.put("MASTER_ADDR", masterAddr);
                env.put("MASTER_PORT", Integer.toString(masterPort));
                // one GPU per rank: each child sees only its own device, as cuda:0
                String visible = System.getenv("CUDA_VISIBLE_DEVICES");
                if (visible == null || visible.isBlank()) {
                    env.put("CUDA_VISIBLE_DEVICES", Integer.toString(local));
                } else {
                    String[] ids = visible.split(",");
                    env.put("CUDA_VISIBLE_DEVICES", ids[local % ids.length].trim());
                }
                Process p = pb.start();
                p.getOutputStream().close();
                ranks.add(p);
                pumps.add(pump(p.getInputStream(), rank, out));
                pumps.add(pump(p.getErrorStream(), rank, err));
            }
            int code = waitForAll(ranks, err);
            for (Thread t : pumps) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
            out.flush();
            err.flush();
            return code;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it stops the ranks
            }
        }
    }

    /** The exit code of the first rank that failed (the others then stopped), or 0 when all succeeded. */
    private static int waitForAll(List<Process> ranks, PrintWriter err) throws InterruptedException {
        boolean[] done = new boolean[ranks.size()];
        int remaining = ranks.size();
        while (remaining > 0) {
            for (int r = 0; r < ranks.size(); r++) {
                Process p = ranks.get(r);
                if (done[r] || !p.waitFor(50, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                done[r] = true;
                remaining--;
                int code = p.exitValue();
                if (code != 0) {
                    synchronized (err) {
                        err.println("rlm launch: local rank " + r + " exited with code " + code
                                + "; stopping the other ranks");
                        err.flush();
                    }
                    stopAll(ranks, r);
                    return code;
                }
            }
        }
        return 0;
    }

    /** SIGTERM to every live rank but {@code except}, SIGKILL to those still alive after the grace period. */
    private static void stopAll(List<Process> ranks, int except) {
        for (int r = 0; r < ranks.size(); r++) {
            if (r != except && ranks.get(r).isAlive()) {
                ranks.get(r).destroy();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
        for (Process p : ranks) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** This JVM again (same java, JVM options and class path), running {@link Main} with the user's flags. */
    private List<String> childCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + "/bin/java"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // agents (debuggers, coverage) belong to this JVM, not to every rank
            if (!arg.startsWith("-javaagent") && !arg.startsWith("-agentlib") && !arg.startsWith("-agentpath")) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(flags);
        return cmd;
    }

    /** Copies a rank's output to {@code to}, every line prefixed with the rank. */
    private static Thread pump(InputStream in, int rank, PrintWriter to) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (to) {
                        to.println("[rank " + rank + "] " + line);
                        to.flush();
                    }
                }
            } catch (IOException closed) {
                // the rank is gone; its exit code says how
            }
        }, "rank-" + rank + "-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
