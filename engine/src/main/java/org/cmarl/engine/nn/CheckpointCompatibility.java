package org.cmarl.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.TensorData;

/**
 * Whether a published-name state dict fits a network, and if not, one message that says why in the user's terms:
 * the architecture (from {@code fc1.0.weight}'s inputs), the agent count, CommNet attention, then every missing,
 * unexpected or mis-shaped name. An extra {@code rew_att} is tolerated when the network has no team-reward
 * attention (it does not change Q-values). Plain Java.
 */
final class CheckpointCompatibility {
    private CheckpointCompatibility() {
    }

    /**
     * @param described the network as {@link QNetwork#describe()} names it, for the message
     * @throws IllegalArgumentException naming what differs
     */
    static void check(NetworkConfig config, PublishedParameters expected, String described,
                      Map<String, TensorData> sd) {
        final int agents = config.agents();
        int ckptAgents = 0;
        while (sd.containsKey("fc1." + ckptAgents + ".weight")) {
            ckptAgents++;
        }
        TensorData fc1 = sd.get("fc1.0.weight");
        if (fc1 != null && fc1.shape().length == 2) {
            long in = fc1.shape()[1];
            Architecture ckptArch = LayerShapes.architectureOfFc1Inputs(in);
            if (ckptArch != null && ckptArch != config.architecture()) {
                throw new IllegalArgumentException("this is a " + ckptArch.cliName() + " checkpoint (fc1.0.weight "
                        + "has " + in + " inputs), --model_name " + config.architecture().cliName() + " given");
            }
        }
        if (ckptAgents != agents) {
            throw new IllegalArgumentException("checkpoint has " + (ckptAgents == 0 ? "no fc1.<i>.weight"
                    : "fc1.0..fc1." + (ckptAgents - 1)) + " (" + ckptAgents + " agent" + (ckptAgents == 1 ? "" : "s")
                    + "), model has " + agents + " agent" + (agents == 1 ? "" : "s"));
        }
        boolean ckptAttention = sd.containsKey("comm_att1.0");
        if (ckptAttention != config.commAttention()) {
            throw new IllegalArgumentException(ckptAttention
                    ? "checkpoint has comm_att1..3 (CommNet trained with --attention), model built without attention"
                    : "checkpoint has no comm_att1..3 (CommNet without --attention), model built with attention");
        }
        TreeSet<String> missing = new TreeSet<>();
        List<String> wrongShape = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (PublishedParameters.Parameter p : expected.all()) {
            names.add(p.name());
            TensorData td = sd.get(p.name());
            if (td == null) {
                missing.add(p.name());
            } else if (!Arrays.equals(td.shape(), p.shape())) {
                wrongShape.add(p.name() + " is " + Arrays.toString(td.shape()) + ", expected "
                        + Arrays.toString(p.shape()));
            } else if (td.dtype() != DType.FLOAT32) {
                wrongShape.add(p.name() + " is " + td.dtype().displayName() + ", expected float32");
            }
        }
        TreeSet<String> unexpected = new TreeSet<>(sd.keySet());
        unexpected.removeAll(names);
        if (!config.rewardAttention()) {
            unexpected.remove("rew_att");
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            StringBuilder m = new StringBuilder("checkpoint does not fit " + described + ":");
            if (!missing.isEmpty()) {
                m.append(" missing ").append(missing).append(';');
            }
            if (!unexpected.isEmpty()) {
                m.append(" unexpected ").append(unexpected).append(';');
            }
            for (String w : wrongShape) {
                m.append(' ').append(w).append(';');
            }
            throw new IllegalArgumentException(m.substring(0, m.length() - 1));
        }
    }
}
