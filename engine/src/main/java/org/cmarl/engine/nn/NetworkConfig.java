package org.cmarl.engine.nn;

/**
 * What a Q-network is: family, number of agents (one head per agent) and the optional learnable attention
 * parameters. See SPEC.md section 4.
 *
 * @param architecture     Network3d or CommNet
 * @param agents           number of agents, at least 1
 * @param commAttention    CommNet only: learnable {@code comm_att1/2/3} weights instead of the plain mean
 *                         ({@code --attention})
 * @param rewardAttention  {@code --team_reward attention}: the network also carries {@code rew_att} (A x A)
 */
public record NetworkConfig(Architecture architecture, int agents, boolean commAttention, boolean rewardAttention) {
    public NetworkConfig {
        if (architecture == null) {
            throw new IllegalArgumentException("architecture is null");
        }
        if (agents < 1) {
            throw new IllegalArgumentException("agents=" + agents + ", required >= 1");
        }
        if (commAttention && architecture != Architecture.COMMNET) {
            throw new IllegalArgumentException("communication attention (--attention) needs CommNet, got "
                    + architecture.cliName());
        }
    }

    public static NetworkConfig of(Architecture architecture, int agents) {
        return new NetworkConfig(architecture, agents, false, false);
    }

    public boolean isCommNet() { return architecture == Architecture.COMMNET; }
}
