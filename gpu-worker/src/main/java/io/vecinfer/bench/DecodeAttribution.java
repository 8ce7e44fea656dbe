package io.vecinfer.bench;

import io.vecinfer.model.ModelConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plan of a decode step's attribution (the CPU side of {@link DecodeAttributionBenchmark}): which calls one step of
 * {@code CudaDecoder.run} on the batch path makes, by family, and the predicted step time from each family's time per
 * call measured inside a CUDA graph. A "call" is one call of the Java wrapper as the decoder makes it: a projection call
 * includes its split-K reduce launch, an attention call is the layer's one launch (store, split and combine in one kernel).
 *
 * <p>The families mirror the layer loop of CudaDecoder.run (kept in step with it by hand; the test checks the counts
 * against its 1 + 13·L + 2 launches on the 8B shape, given the split rule's three reduced products per layer). There is
 * no residual add family: o and down add into the residual stream in their own stores (Matmul.Store.ACCUMULATE).
 */
final class DecodeAttribution {
    private DecodeAttribution() {
    }

    /** Llama 3.1 8B's shape (make_8b_checkpoint.py): the benchmark's kernels part needs no checkpoint. */
    static final ModelConfig LLAMA_8B = new ModelConfig(ModelConfig.Architecture.LLAMA, 128256, 4096, 14336, 32, 32, 8, 128, 131072,
            1e-5f, 500000.0, new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192), false, false, null, 128000, 128001);

    /** A projection as the decoder launches it: out (N) × in (K) weight, one launch (plus its reduce when split). */
    record Product(String name, int out, int in) {
        long weightBytes(int elementBytes) {
            return (long) out * in * elementBytes;
        }
    }

    /** The step's projections, stacked as DeviceWeights stacks them (q|k|v, gate|up). */
    static List<Product> products(ModelConfig c) {
        int qDim = c.numHeads() * c.headDim(), kvDim = c.numKvHeads() * c.headDim();
        return List.of(new Product("qkv", qDim + 2 * kvDim, c.hiddenSize()), new Product("o", c.hiddenSize(), qDim),
                new Product("gate_up", 2 * c.intermediateSize(), c.hiddenSize()), new Product("down", c.hiddenSize(), c.intermediateSize()),
                new Product("lm_head", c.vocabSize(), c.hiddenSize()));
    }

    /**
     * Elementwise families, named by what they touch per row (the benchmark times each at the step's row count). ADD, the
     * residual add, is no call of the step any more (o and down accumulate into x): {@link #callsPerStep} leaves it out, so
     * {@link #predict} ignores a time given for it (the benchmark no longer measures one; older result files have it).
     */
    static final String RMSNORM = "rmsnorm", HEAD_NORM = "rmsnorm_heads", ROPE = "rope", SILU_MUL = "silu_mul",
            ADD = "add", EMBED = "embed", ATTENTION = "attention";

    /** Calls per decode step of each family, in the order of the layer loop; products by their {@link Product#name}. */
    static Map<String, Integer> callsPerStep(ModelConfig c) {
        int layers = c.numLayers();
        Map<String, Integer> calls = new LinkedHashMap<>();
        calls.put(EMBED, 1);
        calls.put(RMSNORM, 2 * layers + 1); // attention norm, FFN norm, the final norm
        calls.put("qkv", layers);
        if (c.qkNorm()) calls.put(HEAD_NORM, 2 * layers); // Qwen3's q and k norms, per head
        calls.put(ROPE, layers); // q and k in one launch
        calls.put(ATTENTION, layers);
        calls.put("o", layers); // adds into x: the residual add is its store
        calls.put("gate_up", layers);
        calls.put(SILU_MUL, layers);
        calls.put("down", layers); // adds into x
        calls.put("lm_head", 1);
        return calls;
    }

    /** Launches of one family's call: 2 for a split-K product, else 1 (attention included: one kernel a layer). */
    static int launchesPerCall(String family, boolean splitK) {
        return splitK ? 2 : 1;
    }

    /** Launches of an eager step: Σ calls × launches per call, {@code splitProducts} naming the products split over k. */
    static long eagerLaunches(ModelConfig c, java.util.Set<String> splitProducts) {
        long n = 0;
        for (Map.Entry<String, Integer> e : callsPerStep(c).entrySet()) n += (long) e.getValue() * launchesPerCall(e.getKey(), splitProducts.contains(e.getKey()));
        return n;
    }

    /**
     * The predicted GPU time of a step, in ms: Σ calls × µs per call over every family, each family's share beside it.
     * Every family of the step must have a time.
     */
    record Prediction(double stepMs, Map<String, Double> familyMs, double headMs) {
    }

    static Prediction predict(ModelConfig c, Map<String, Double> microsPerCall) {
        Map<String, Double> shares = new LinkedHashMap<>();
        double total = 0;
        for (Map.Entry<String, Integer> e : callsPerStep(c).entrySet()) {
            Double us = microsPerCall.get(e.getKey());
            if (us == null || us.isNaN()) throw new IllegalArgumentException("no time per call for " + e.getKey());
            double ms = e.getValue() * us / 1e3;
            shares.put(e.getKey(), ms);
            total += ms;
        }
        // The head, outside the recorded layers: the final norm (one of the rmsnorm calls) and the lm_head.
        double head = shares.get("lm_head") + microsPerCall.get(RMSNORM) / 1e3;
        return new Prediction(total, shares, head);
    }

    /** Weight bytes streamed per second at {@code micros} per call, in TB/s. */
    static double terabytesPerSecond(long bytes, double micros) {
        return bytes / (micros * 1e-6) / 1e12;
    }
}
