package org.cmarl.engine.nn;

import java.util.Locale;

/** How agents share rewards in the DQN loss ({@code --team_reward}, SPEC.md section 5). */
public enum TeamReward {
    /** Each agent learns from its own reward. */
    NONE,
    /** {@code r_i += mean_j r_j}. */
    MEAN,
    /** {@code r = r + r @ softmax(rew_att, dim=0)} with the network's learnable {@code rew_att}. */
    ATTENTION;

    public static TeamReward parse(String name) {
        if (name == null || name.isEmpty() || name.equalsIgnoreCase("none")) {
            return NONE;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mean" -> MEAN;
            case "attention" -> ATTENTION;
            default -> throw new IllegalArgumentException("team reward '" + name + "' unknown, expected mean or attention");
        };
    }
}
