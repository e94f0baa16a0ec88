package org.cmarl.engine.eval;

import java.util.Map;

import org.cmarl.engine.env.Mode;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;

/**
 * A checkpoint's network and the {@link Evaluator} that plays it: the one wiring of {@code --task eval|play} and
 * {@code rlm evaluate-models}. It owns the network and its batched input and frees both on {@link #close()}.
 *
 * <pre>{@code
 * try (NetworkEvaluation e = new NetworkEvaluation(config, device, seed, Mode.EVAL, 200,
 *         NetworkEvaluation.batchEpisodes(null, device), episodes)) {
 *     List<EpisodeResult> results = e.load(weights, null, Precision.FP32).run(images, spawns, random, null);
 * }
 * }</pre>
 */
public final class NetworkEvaluation implements AutoCloseable {
    private final QNetwork network;
    private final NetworkQFunction q;
    private final Evaluator evaluator;

    /**
     * Episodes advanced together in one batched forward pass: {@code requested} ({@code --batch_episodes}) when
     * given, else the device's default ({@link Device#defaultBatchEpisodes()}: 1 on CPU, 32 on CUDA).
     */
    public static int batchEpisodes(Integer requested, Device device) {
        return requested != null ? requested : device.defaultBatchEpisodes();
    }

    /**
     * A network of {@code config} with initial weights from {@code seed} (replaced by {@link #load}), its input for
     * {@code min(batchEpisodes, episodes)} episodes at a time, and an evaluator of {@code mode}.
     *
     * @param episodes the episodes the evaluation will play (images x spawns): no larger batch is allocated
     */
    public NetworkEvaluation(NetworkConfig config, Device device, long seed, Mode mode, int stepsPerEpisode,
                             int batchEpisodes, int episodes) {
        QNetwork net = QNetwork.create(config, seed, device);
        NetworkQFunction function = null;
        try {
            function = new NetworkQFunction(net, Math.min(batchEpisodes, episodes));
            this.evaluator = new Evaluator(function, mode, stepsPerEpisode);
        } catch (RuntimeException e) {
            if (function != null) {
                function.close();
            }
            net.close();
            throw e;
        }
        this.network = net;
        this.q = function;
    }

    /**
     * Loads the weights, then sets the arithmetic of the forward passes. In a multi-process run ({@code group} not
     * null) rank 0 alone has read the checkpoint ({@code weights} null elsewhere): its weights are broadcast, and
     * every rank plays its share of the episodes (rank, rank + world, ...).
     *
     * @return the evaluator, ready to run
     */
    public Evaluator load(Map<String, TensorData> weights, DistributedGroup group, Precision precision) {
        if (group == null) {
            network.loadStateDict(weights);
        } else {
            if (weights != null) {
                network.loadStateDict(weights);
            }
            group.broadcastFromRankZero(network);
            evaluator.shard(group.rank(), group.worldSize());
        }
        network.setPrecision(precision);
        return evaluator;
    }

    public Evaluator evaluator() { return evaluator; }

    @Override
    public void close() {
        // the input before the network, as try-with-resources over both closed them
        q.close();
        network.close();
    }
}
