package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.model.Model;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One model on both backends, a cache per sequence on each, fed the same tokens and compared pass by pass:
 * max |logit difference| ≤ 2e-3 · max |CPU logit| by default (see {@link CudaDecoderTest} for why), and the same greedy
 * token wherever the CPU's top two logits are further apart than twice the observed difference. Closing it
 * frees the device side and the model.
 */
final class DecoderPair implements AutoCloseable {
    /** The default bound, for caches that store exactly what the CPU stores (fp16). */
    static final double RELATIVE = 2e-3;

    final Model model;
    final Decoder cpu;
    final CudaDecoder gpu;
    final List<Sequence<KvCache>> cpuSequences = new ArrayList<>();
    final List<Sequence<DeviceKvCache>> gpuSequences = new ArrayList<>();
    private final RandomInputs random;
    private final double relative;
    private double worstRelative;

    DecoderPair(CudaDevice device, RandomInputs random, Model model, int sequences, CacheFactory<KvCache> cpuCaches, CacheFactory<DeviceKvCache> gpuCaches) {
        this(device, random, model, sequences, cpuCaches, gpuCaches, RELATIVE, Matmul.Precision.EXACT);
    }

    /**
     * @param relative  the bound on max |logit difference| as a fraction of max |CPU logit|
     * @param precision the GPU decoder's projections: EXACT (the CPU's arithmetic) unless a test is about the other
     */
    DecoderPair(CudaDevice device, RandomInputs random, Model model, int sequences, CacheFactory<KvCache> cpuCaches, CacheFactory<DeviceKvCache> gpuCaches,
                double relative, Matmul.Precision precision) {
        this(device, random, model, sequences, cpuCaches, gpuCaches, relative, precision, 0);
    }

    /** @param chunkRows the GPU decoder's rows per pass, 0 for what its device's memory gives */
    DecoderPair(CudaDevice device, RandomInputs random, Model model, int sequences, CacheFactory<KvCache> cpuCaches, CacheFactory<DeviceKvCache> gpuCaches,
                double relative, Matmul.Precision precision, int chunkRows) {
        this.model = model;
        this.relative = relative;
        this.random = random;
        cpu = new Decoder(model);
        gpu = new CudaDecoder(model, device, precision, chunkRows);
        for (int s = 0; s < sequences; s++) {
            cpuSequences.add(new Sequence<>(cpuCaches.create(model.kvLayout())));
            gpuSequences.add(new Sequence<>(gpuCaches.create(model.kvLayout())));
        }
    }

    int vocab() {
        return model.config().vocabSize();
    }

    /**
     * Random prompts of the given lengths through forwardAll, the prompts ended ({@link Sequence#endPrompt}), then
     * {@code steps} greedy steps (the CPU's tokens) through forwardLast.
     */
    void prefillThenDecode(int[] lengths, int steps) {
        try (DecoderPair p = this) {
            List<int[]> prompts = new ArrayList<>();
            for (int n : lengths) prompts.add(random.ints(n, p.vocab()));
            float[][] logits = p.compareAll(prompts, "prefill");
            // As tasks do: a cache under prefill=exact encodes its prompt now (other caches do nothing).
            cpuSequences.forEach(Sequence::endPrompt);
            gpuSequences.forEach(Sequence::endPrompt);
            int[] next = new int[lengths.length];
            for (int s = 0, row = -1; s < lengths.length; s++) next[s] = argmax(logits[row += lengths[s]]);
            for (int step = 0; step < steps; step++) {
                List<int[]> feed = new ArrayList<>();
                for (int token : next) feed.add(new int[]{token});
                logits = p.compareLast(feed, "decode step " + step);
                for (int s = 0; s < next.length; s++) next[s] = argmax(logits[s]); // both decoders follow the CPU's tokens
            }
        }
    }

    /** The largest max |logit difference| / max |CPU logit| of any pass so far: what the tests report. */
    double worstRelative() {
        return worstRelative;
    }

    float[][] compareAll(List<int[]> tokens, String what) {
        return compare(cpu.forwardAll(cpuSequences, tokens), gpu.forwardAll(gpuSequences, tokens), what);
    }

    float[][] compareLast(List<int[]> tokens, String what) {
        return compare(cpu.forwardLast(cpuSequences, tokens), gpu.forwardLast(gpuSequences, tokens), what);
    }

    private float[][] compare(float[][] expected, float[][] actual, String what) {
        String where = model.name() + " " + what + ", " + random;
        assertEquals(expected.length, actual.length, where + ": rows");
        double maxDiff = 0, maxLogit = 0;
        for (int r = 0; r < expected.length; r++) {
            for (int i = 0; i < expected[r].length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[r][i] - actual[r][i]));
                maxLogit = Math.max(maxLogit, Math.abs(expected[r][i]));
            }
        }
        worstRelative = Math.max(worstRelative, maxDiff / maxLogit);
        assertTrue(maxDiff <= relative * maxLogit, where + ": max |logit difference| " + maxDiff + " > " + relative + " × " + maxLogit);
        for (int r = 0; r < expected.length; r++) {
            int top = argmax(expected[r]);
            if (gap(expected[r], top) > 2 * maxDiff) assertEquals(top, argmax(actual[r]), where + ": greedy token of row " + r);
        }
        for (int s = 0; s < cpuSequences.size(); s++) {
            assertEquals(cpuSequences.get(s).position(), gpuSequences.get(s).position(), where + ": position of sequence " + s);
        }
        return expected;
    }

    @Override
    public void close() {
        try {
            Sequence.closeAll(gpuSequences);
        } finally {
            gpu.close();
            model.close();
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** The top logit minus the runner-up. */
    private static double gap(float[] logits, int top) {
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) if (i != top) second = Math.max(second, logits[i]);
        return logits[top] - second;
    }
}
