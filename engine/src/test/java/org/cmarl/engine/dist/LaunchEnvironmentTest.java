package org.cmarl.engine.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LaunchEnvironmentTest {
    @Test
    void shouldBeSingleProcessWhenNoLauncherVariableIsSet() {
        LaunchEnvironment e = LaunchEnvironment.from(Map.of("HOME", "/root"), DistBackend.AUTO, 600);
        assertFalse(e.isDistributed());
        assertEquals(0, e.rank());
        assertEquals(1, e.worldSize());
    }

    @Test
    void shouldBeSingleProcessWhenWorldSizeIsOne() {
        assertFalse(LaunchEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "1"), DistBackend.AUTO, 600)
                .isDistributed());
        assertFalse(LaunchEnvironment.from(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "1"), DistBackend.AUTO, 600)
                .isDistributed());
    }

    @Test
    void shouldReadTorchrunVariablesWhenRankIsSet() {
        LaunchEnvironment e = LaunchEnvironment.from(Map.of("RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "1",
                "MASTER_ADDR", "10.0.0.7", "MASTER_PORT", "29500"), DistBackend.GLOO, 30);
        assertEquals(new LaunchEnvironment(3, 4, 1, "10.0.0.7", 29500, DistBackend.GLOO, 30), e);
    }

    @Test
    void shouldTakeFirstHostOfAllocationAndJobPortWhenUnderSlurm() {
        LaunchEnvironment e = LaunchEnvironment.from(Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "8",
                "SLURM_LOCALID", "1", "SLURM_JOB_NODELIST", "gpu[07-10,12],login1", "SLURM_JOB_ID", "123456"),
                DistBackend.AUTO, 600);
        assertEquals(new LaunchEnvironment(5, 8, 1, "gpu07", 20000 + 123456 % 20000, DistBackend.AUTO, 600), e);
    }

    @Test
    void shouldPreferStepTasksAndExplicitMasterWhenUnderSrun() {
        LaunchEnvironment e = LaunchEnvironment.from(Map.of("SLURM_PROCID", "1", "SLURM_NTASKS", "16",
                "SLURM_STEP_NUM_TASKS", "2", "SLURM_LOCALID", "1", "SLURM_JOB_NODELIST", "n[1-2]",
                "MASTER_ADDR", "head", "MASTER_PORT", "40000"), DistBackend.AUTO, 600);
        assertEquals(new LaunchEnvironment(1, 2, 1, "head", 40000, DistBackend.AUTO, 600), e);
    }

    @Test
    void shouldNameVariableAndValueWhenBad() {
        assertEquals("environment variable RANK='x1' is not a whole number, expected 0..3",
                bad(Map.of("RANK", "x1", "WORLD_SIZE", "4", "MASTER_ADDR", "h", "MASTER_PORT", "1")));
        assertEquals("environment variable RANK=4, expected 0..3",
                bad(Map.of("RANK", "4", "WORLD_SIZE", "4", "MASTER_ADDR", "h", "MASTER_PORT", "1")));
        assertEquals("environment variable WORLD_SIZE=0, expected 1..1048576",
                bad(Map.of("RANK", "0", "WORLD_SIZE", "0")));
        assertEquals("environment variable MASTER_PORT=70000, expected 1..65535",
                bad(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000")));
        assertEquals("environment variable MASTER_ADDR is not set (needed with RANK / WORLD_SIZE: the host of rank 0)",
                bad(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_PORT", "29500")));
        assertEquals("environment variable WORLD_SIZE is not set (needed with RANK / WORLD_SIZE)",
                bad(Map.of("RANK", "0")));
        assertEquals("environment variable LOCAL_RANK=-1, expected 0..1048576",
                bad(Map.of("RANK", "0", "WORLD_SIZE", "2", "LOCAL_RANK", "-1")));
        assertEquals("SLURM_JOB_NODELIST: Slurm node list 'n[3-1]' has range '3-1' that runs backwards",
                bad(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_LOCALID", "0",
                        "SLURM_JOB_NODELIST", "n[3-1]", "SLURM_JOB_ID", "1")));
        assertEquals("environment variable SLURM_LOCALID is not set (needed with SLURM_PROCID)",
                bad(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2")));
        assertEquals("--dist_timeout 0, expected at least 1 second",
                assertThrows(IllegalArgumentException.class,
                        () -> LaunchEnvironment.from(Map.of(), DistBackend.AUTO, 0)).getMessage());
    }

    @Test
    void shouldParseBackendWhenValidAndNameItWhenNot() {
        assertEquals(DistBackend.NCCL, DistBackend.parse("nccl"));
        assertEquals(DistBackend.GLOO, DistBackend.parse("Gloo"));
        assertEquals("--dist_backend 'mpi', expected auto, gloo or nccl",
                assertThrows(IllegalArgumentException.class, () -> DistBackend.parse("mpi")).getMessage());
    }

    @Test
    void shouldExpandCompressedNodeListsWhenSlurmSyntax() {
        assertEquals(List.of("node01", "node02", "node03", "node04", "node07"),
                SlurmNodeList.expand("node[01-04,07]"));
        assertEquals(List.of("a1-b3", "a1-b4", "a2-b3", "a2-b4", "gpu5"), SlurmNodeList.expand("a[1-2]-b[3-4],gpu5"));
        assertEquals(List.of("n8", "n9", "n10"), SlurmNodeList.expand("n[8-10]"));
        assertEquals("node01", SlurmNodeList.firstHost("node[01-99999999]"));
        assertEquals("login", SlurmNodeList.firstHost("login"));
        for (String garbage : new String[] {"", "n[", "n[]", "n[1-x]", "n]1[", "n[[1]]", "a,,b", "n[1-999999999]"}) {
            assertThrows(IllegalArgumentException.class, () -> SlurmNodeList.expand(garbage), garbage);
        }
    }

    private static String bad(Map<String, String> env) {
        return assertThrows(IllegalArgumentException.class,
                () -> LaunchEnvironment.from(env, DistBackend.AUTO, 600)).getMessage();
    }
}
