package org.cmarl.engine.dist;

import java.util.Map;

/**
 * Where this process sits in a multi-process run, read from the variables the standard launchers set:
 * torchrun / {@code rlm launch} ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR},
 * {@code MASTER_PORT}) or Slurm's srun ({@code SLURM_PROCID}, {@code SLURM_STEP_NUM_TASKS} or
 * {@code SLURM_NTASKS}, {@code SLURM_LOCALID}, master = first host of {@code SLURM_JOB_NODELIST} unless
 * {@code MASTER_ADDR} is set, port = {@code MASTER_PORT} or one derived from {@code SLURM_JOB_ID}).
 * The torchrun variables win when both are present (torchrun inside an allocation).
 *
 * <p>With none of the variables, or a world of one, the run is a single process and nothing about it changes.
 *
 * @param rank           this process, 0 .. worldSize-1 (rank 0 writes every file)
 * @param worldSize      processes in the run
 * @param localRank      this process on its host (the CUDA device it uses)
 * @param masterAddr     host of rank 0, where the c10d TCPStore listens
 * @param masterPort     the TCPStore's port
 * @param backend        the c10d backend asked for
 * @param timeoutSeconds how long a collective may wait for the slowest rank before this one gives up
 */
public record LaunchEnvironment(int rank, int worldSize, int localRank, String masterAddr, int masterPort,
                                DistBackend backend, int timeoutSeconds) {
    /** {@code --dist_timeout} default: long enough for rank 0's validation and checkpoint between two updates. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 600;
    /** Base of the port derived from {@code SLURM_JOB_ID} when {@code MASTER_PORT} is not set. */
    static final int SLURM_PORT_BASE = 20000;

    public LaunchEnvironment {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size " + worldSize + ", expected at least 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + ", expected 0.." + (worldSize - 1) + " (world size "
                    + worldSize + ")");
        }
        if (localRank < 0) {
            throw new IllegalArgumentException("local rank " + localRank + ", expected >= 0");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--dist_timeout " + timeoutSeconds + ", expected at least 1 second");
        }
    }

    /** A single process: rank 0 of 1. */
    public static LaunchEnvironment single(DistBackend backend, int timeoutSeconds) {
        return new LaunchEnvironment(0, 1, 0, "127.0.0.1", 0, backend, timeoutSeconds);
    }

    public boolean isDistributed() {
        return worldSize > 1;
    }

    public boolean isRankZero() {
        return rank == 0;
    }

    /**
     * Reads the launchers' variables.
     *
     * @throws IllegalArgumentException naming the variable, its value and what was expected
     */
    public static LaunchEnvironment from(Map<String, String> env, DistBackend backend, int timeoutSeconds) {
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--dist_timeout " + timeoutSeconds + ", expected at least 1 second");
        }
        if (env.containsKey("RANK") || env.containsKey("WORLD_SIZE")) {
            int world = integer(env, "WORLD_SIZE", 1, 1 << 20);
            int rank = integer(env, "RANK", 0, world - 1);
            int local = env.containsKey("LOCAL_RANK") ? integer(env, "LOCAL_RANK", 0, 1 << 20) : 0;
            if (world == 1) {
                return single(backend, timeoutSeconds);
            }
            return new LaunchEnvironment(rank, world, local, host(env, "MASTER_ADDR"),
                    integer(env, "MASTER_PORT", 1, 65535), backend, timeoutSeconds);
        }
        if (env.containsKey("SLURM_PROCID")) {
            String tasksVar = env.containsKey("SLURM_STEP_NUM_TASKS") ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS";
            int world = env.containsKey(tasksVar) ? integer(env, tasksVar, 1, 1 << 20) : 1;
            if (world == 1) {
                return single(backend, timeoutSeconds);
            }
            int rank = integer(env, "SLURM_PROCID", 0, world - 1);
            int local = integer(env, "SLURM_LOCALID", 0, 1 << 20);
            String master;
            if (env.containsKey("MASTER_ADDR")) {
                master = host(env, "MASTER_ADDR");
            } else {
                String var = env.containsKey("SLURM_JOB_NODELIST") ? "SLURM_JOB_NODELIST" : "SLURM_NODELIST";
                if (!env.containsKey(var)) {
                    throw new IllegalArgumentException("SLURM_PROCID is set but neither MASTER_ADDR nor "
                            + "SLURM_JOB_NODELIST is: no host for rank 0's store");
                }
                try {
                    master = SlurmNodeList.firstHost(env.get(var));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(var + ": " + e.getMessage());
                }
            }
            int port;
            if (env.containsKey("MASTER_PORT")) {
                port = integer(env, "MASTER_PORT", 1, 65535);
            } else if (env.containsKey("SLURM_JOB_ID")) {
                // the same port on every task of the job, and different jobs sharing a node rarely collide
                port = SLURM_PORT_BASE + (int) (integer(env, "SLURM_JOB_ID", 0, Integer.MAX_VALUE) % 20000L);
            } else {
                throw new IllegalArgumentException("SLURM_PROCID is set but neither MASTER_PORT nor SLURM_JOB_ID is:"
                        + " no port for rank 0's store");
            }
            return new LaunchEnvironment(rank, world, local, master, port, backend, timeoutSeconds);
        }
        return single(backend, timeoutSeconds);
    }

    private static int integer(Map<String, String> env, String name, int min, int max) {
        String v = env.get(name);
        if (v == null) {
            throw new IllegalArgumentException("environment variable " + name + " is not set (needed with "
                    + (name.startsWith("SLURM") ? "SLURM_PROCID" : "RANK / WORLD_SIZE") + ")");
        }
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("environment variable " + name + "='" + v
                    + "' is not a whole number, expected " + min + ".." + max);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("environment variable " + name + "=" + v + ", expected " + min + ".."
                    + max);
        }
        return (int) n;
    }

    private static String host(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("environment variable " + name + " is not set (needed with "
                    + "RANK / WORLD_SIZE: the host of rank 0)");
        }
        if (v.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
            throw new IllegalArgumentException("environment variable " + name + "='" + v + "' is not a host name or"
                    + " address");
        }
        return v.trim();
    }

    /** e.g. "rank 1 of 4 (local rank 1), store 10.0.0.1:29500, backend gloo, timeout 600 s". */
    public String describe() {
        return "rank " + rank + " of " + worldSize + " (local rank " + localRank + "), store " + masterAddr + ":"
                + masterPort + ", backend " + backend.flagValue() + ", timeout " + timeoutSeconds + " s";
    }
}
