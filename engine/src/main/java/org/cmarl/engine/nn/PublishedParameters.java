package org.cmarl.engine.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The parameters of a Q-network as the published PyTorch model names them, in its {@code state_dict} order
 * (SPEC.md section 4): what checkpoints hold, what the optimiser state is keyed by. Plain Java, immutable.
 * <pre>
 *   conv0.weight, conv0.bias, prelu0.weight, ... conv3.*, prelu3.weight,
 *   fc1.&lt;i&gt;.weight/bias for every agent i, prelu4.&lt;i&gt;.weight, fc2.&lt;i&gt;.*, prelu5.&lt;i&gt;.weight,
 *   fc3.&lt;i&gt;.*,
 *   comm_att1..3.&lt;i&gt; (CommNet --attention), rew_att (--team_reward attention; added last by the published DQN)
 * </pre>
 * {@link QNetwork} keeps the heads stacked over agents; each published parameter says which internal tensor it is
 * a view of ({@link Role}, layer, agent).
 */
final class PublishedParameters {
    /** Which internal tensor a published parameter lives in; also decides its initialisation. */
    enum Role {
        /** {@code conv<l>.weight}, Xavier-uniform. */
        CONV_WEIGHT,
        /** {@code conv<l>.bias}, uniform(+-1/sqrt(fan_in)). */
        CONV_BIAS,
        /** {@code prelu<l>.weight} (one slope), 0.25. */
        CONV_PRELU,
        /** {@code fc<l+1>.<i>.weight (out, in)}: agent i's slice of the stacked (agents, in, out), transposed. */
        FC_WEIGHT,
        /** {@code fc<l+1>.<i>.bias}. */
        FC_BIAS,
        /** {@code prelu<l+4>.<i>.weight}: agent i's slope. */
        HEAD_PRELU,
        /** {@code comm_att<l+1>.<i>}: agent i's row of attention logits, standard normal. */
        COMM_ATTENTION,
        /** {@code rew_att (agents, agents)}: team-reward attention logits, standard normal. */
        REWARD_ATTENTION
    }

    /** One published parameter: name, published shape, and where it lives ({@code layer}, {@code agent}: -1 = none). */
    record Parameter(String name, long[] shape, Role role, int layer, int agent) {
        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final List<Parameter> parameters;

    PublishedParameters(NetworkConfig config) {
        LayerShapes shapes = new LayerShapes(config);
        int agents = config.agents();
        List<Parameter> p = new ArrayList<>();
        for (int l = 0; l < LayerShapes.CONV_LAYERS; l++) {
            p.add(new Parameter("conv" + l + ".weight", LayerShapes.convWeight(l), Role.CONV_WEIGHT, l, -1));
            p.add(new Parameter("conv" + l + ".bias", new long[] {LayerShapes.convOut(l)}, Role.CONV_BIAS, l, -1));
            p.add(new Parameter("prelu" + l + ".weight", new long[] {1}, Role.CONV_PRELU, l, -1));
        }
        for (int l = 0; l < LayerShapes.FC_LAYERS; l++) {
            for (int i = 0; i < agents; i++) {
                p.add(new Parameter("fc" + (l + 1) + "." + i + ".weight",
                        new long[] {shapes.fcOut(l), shapes.fcIn(l)}, Role.FC_WEIGHT, l, i));
                p.add(new Parameter("fc" + (l + 1) + "." + i + ".bias", new long[] {shapes.fcOut(l)}, Role.FC_BIAS,
                        l, i));
            }
            if (l < LayerShapes.FC_LAYERS - 1) {
                for (int i = 0; i < agents; i++) {
                    p.add(new Parameter("prelu" + (l + 4) + "." + i + ".weight", new long[] {1}, Role.HEAD_PRELU,
                            l, i));
                }
            }
        }
        if (config.commAttention()) {
            for (int l = 0; l < LayerShapes.FC_LAYERS; l++) {
                for (int i = 0; i < agents; i++) {
                    p.add(new Parameter("comm_att" + (l + 1) + "." + i, new long[] {agents}, Role.COMM_ATTENTION, l,
                            i));
                }
            }
        }
        if (config.rewardAttention()) {
            p.add(new Parameter("rew_att", new long[] {agents, agents}, Role.REWARD_ATTENTION, -1, -1));
        }
        this.parameters = Collections.unmodifiableList(p);
    }

    /** In published order. */
    List<Parameter> all() { return parameters; }

    List<String> names() {
        List<String> names = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            names.add(p.name());
        }
        return names;
    }

    /** Scalars over all parameters. */
    long count() {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.numel();
        }
        return n;
    }
}
