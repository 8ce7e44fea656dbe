package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.LogitComparison;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.decoder.TokenScores;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.SequenceCache;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the CUDA decoder with the device fp16 cache against the CPU decoder with DenseKvCache FP16, on the tiny
 * fixtures of every architecture (llama3 scaling, Mistral, Qwen2 biases, Qwen3 q/k norm and tied embeddings) and
 * on the shipped reference model (head_dim 128, GQA 2:1).
 *
 * <p>Tolerance: max |logit difference| ≤ 2e-3 · max |CPU logit| per forward pass. Both sides compute in fp32 with
 * the same weights and round K/V to fp16 the same way; they differ by the order of sums (≈1e-6 relative per
 * operation, compounded over the layers) and, rarely, by one fp16 ulp (≈5e-4 relative) of a cached element whose
 * fp32 value sat on a rounding boundary. A wrong weight, position, mask or cache slot moves logits by a large
 * fraction of their scale. Greedy tokens must agree wherever the CPU's top two logits are further apart than the
 * observed difference allows to swap.
 */
class CudaDecoderTest {
    private static final KvCacheFactory CPU_FP16 = DenseKvCache.factory(DenseKvCache.Precision.FP16);

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice cuda = new GpuDevice();

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "mistral", "qwen2", "qwen3"})
    void tinyCheckpointsMatchTheCpuDecoder(String arch) {
        prefillThenDecode(RepoPaths.fixtures().resolve("tiny").resolve(arch), new int[]{29, 7}, 6);
    }

    @Test
    void referenceModelMatchesTheCpuDecoder() {
        prefillThenDecode(RepoPaths.referenceModel(), new int[]{45, 12}, 8);
    }

    /**
     * The default, tensor-core projections, on the shipped bf16 model: prompts long enough for the gemm kernel (and
     * a 600-token one, chunked) and decode steps on the skinny one, against the fp32 CPU decoder.
     *
     * <p>Tolerance: {@link TensorCoreTolerance} (3% of max |CPU logit|, derived there). The worst observed ratio is
     * printed for the evidence file.
     */
    @Test
    void tensorCoresStayWithinTheBf16Bound() {
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), 2, CPU_FP16,
                DeviceKvCaches.fp16(cuda.device()), TensorCoreTolerance.RELATIVE, io.vecinfer.cuda.ops.Matmul.Precision.TENSOR_CORES)) {
            p.compareAll(List.of(random.ints(600, p.vocab()), random.ints(77, p.vocab())), "tensor-core prefill of 600 + 77 tokens");
            for (int step = 0; step < 8; step++) {
                p.compareLast(List.of(random.ints(1, p.vocab()), random.ints(1, p.vocab())), "tensor-core decode step " + step);
            }
            System.out.printf("tensor-core projections, reference model: worst max|Δlogit| / max|logit| = %.5f (bound %.0e)%n", p.worstRelative(), TensorCoreTolerance.RELATIVE);
        }
    }

    /**
     * Decode steps at batch 1 and 8 on the shipped model (head_dim 128): the batch attention path, one launch per kernel
     * for sequences of different lengths (1 token, lengths that are not multiples of the 128-position split, one over a
     * chunk), at the parity bound of the per-sequence path.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void batchedDecodeMatchesTheCpuDecoder(int batch) {
        int[] lengths = batch == 1 ? new int[]{300} : new int[]{1, 45, 130, 7, 600, 2, 129, 64};
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), batch, CPU_FP16,
                DeviceKvCaches.fp16(cuda.device()))) {
            List<int[]> prompts = new ArrayList<>();
            for (int n : lengths) prompts.add(random.ints(n, p.vocab()));
            p.compareAll(prompts, "prefill");
            for (int step = 0; step < 6; step++) {
                List<int[]> feed = new ArrayList<>();
                for (int s = 0; s < batch; s++) feed.add(random.ints(1, p.vocab()));
                assertTrue(DecodeBatch.applies(p.gpuSequences, feed), "a decode step of fp16 caches at head_dim 128 takes the batch path");
                p.compareLast(feed, "batch " + batch + " decode step " + step);
            }
            for (int s = 0; s < batch; s++) {
                for (int layer = 0; layer < p.model.config().numLayers(); layer++) {
                    assertEquals(lengths[s] + 6, p.gpuSequences.get(s).cache().length(layer), "tokens in layer " + layer + " of sequence " + s);
                }
            }
        }
    }

    /**
     * Inputs over a chunk run sequence by sequence in chunks (the CPU's of 512 rows, the GPU's of {@link CudaDecoder#chunkRows()}:
     * the results must not depend on where the chunks end), through forwardAll and forwardLast.
     */
    @Test
    void longPrefillIsChunkedAsOnTheCpu() {
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), 2, CPU_FP16, DeviceKvCaches.fp16(cuda.device()))) {
            p.compareAll(List.of(random.ints(600, p.vocab()), random.ints(130, p.vocab())), "prefill of 600 + 130 tokens");
            p.compareLast(List.of(random.ints(530, p.vocab()), random.ints(1, p.vocab())), "530 + 1 more tokens");
            assertEquals(p.cpuSequences.get(0).position(), p.gpuSequences.get(0).position());
            for (int layer = 0; layer < p.model.config().numLayers(); layer++) {
                assertEquals(1130, p.gpuSequences.get(0).cache().length(layer), "tokens in layer " + layer);
            }
            assertEquals(p.cpuSequences.get(0).cache().storedBytes(), p.gpuSequences.get(0).cache().storedBytes(), "fp16 bytes stored");
        }
    }

    /**
     * Passes of 256 rows, sequences packed into them: 300 + 100 + 200 prompt tokens run as [256 of s0], [44 of s0, 100 of
     * s1, 112 of s2], [88 of s2], then 300 + 1 + 2 more as [256 of s0], [44 of s0, 1 of s1, 2 of s2]; logits of every
     * position and of each sequence's last token match the CPU's (512-row chunks, sequence by sequence).
     */
    @Test
    void packedPassesMatchTheCpu() {
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), 3, CPU_FP16,
                DeviceKvCaches.fp16(cuda.device()), DecoderPair.RELATIVE, io.vecinfer.cuda.ops.Matmul.Precision.EXACT, 256)) {
            assertEquals(256, p.gpu.chunkRows());
            p.compareAll(List.of(random.ints(300, p.vocab()), random.ints(100, p.vocab()), random.ints(200, p.vocab())), "packed prefill");
            p.compareLast(List.of(random.ints(300, p.vocab()), random.ints(1, p.vocab()), random.ints(2, p.vocab())), "packed forwardLast");
            for (int s = 0; s < 3; s++) assertEquals(new int[]{600, 101, 202}[s], p.gpuSequences.get(s).position());
        }
    }

    /**
     * scoreAll, compareAll and greedyLast reduce the logits on the device; on the shipped model with tensor-core
     * projections they must agree with the CPU decoder's host reductions, and with the host arithmetic applied to the
     * same GPU pass's downloaded logits.
     *
     * <p>Tolerance against the CPU: each logit is within δ = 3e-2 · max |CPU logit| of the CPU's
     * ({@link #tensorCoresStayWithinTheBf16Bound}). log p_t = x_t − log Σ exp x, and log Σ exp moves by at most the
     * largest move of any logit, so |Δ log p_t| ≤ 2δ. The argmax must be the CPU's wherever the CPU's top-two gap exceeds
     * 2δ (only then can a move of δ per logit not swap them). Against the GPU's own downloaded logits (the same pass run
     * again: the kernels have no atomics, so it is the same arithmetic) the reductions differ only by the order of double
     * sums: 4 · vocab · 2^-53 for a log-probability, LogitReductionsGpuTest's bound for KL, argmaxes equal. A wrong row,
     * a lost chunk or a target off by one misses these by whole nats.
     */
    @Test
    void deviceReductionsMatchTheCpuDecoderWithinTheBf16Bound() {
        try (Model model = Model.load(RepoPaths.referenceModel());
             CudaDecoder gpu = new CudaDecoder(model, cuda.device(), io.vecinfer.cuda.ops.Matmul.Precision.TENSOR_CORES)) {
            Decoder cpu = new Decoder(model);
            int vocab = model.config().vocabSize();
            // 600 tokens: over the CPU's 512-row chunk, so the CPU chunks where the GPU may not.
            List<int[]> prompts = List.of(random.ints(600, vocab), random.ints(45, vocab));
            List<int[]> targets = List.of(TokenScores.nextTokens(prompts.get(0)), TokenScores.nextTokens(prompts.get(1)));
            float[][] cpuLogits;
            TokenScores gpuScores;
            float[][] gpuLogits;
            List<Sequence<KvCache>> c = sequences(CPU_FP16, model, 2);
            List<Sequence<DeviceKvCache>> g1 = sequences(DeviceKvCaches.fp16(cuda.device()), model, 2),
                    g2 = sequences(DeviceKvCaches.fp16(cuda.device()), model, 2);
            try {
                cpuLogits = cpu.forwardAll(c, prompts);
                gpuScores = gpu.scoreAll(g1, prompts, targets);
                gpuLogits = gpu.forwardAll(g2, prompts);
            } finally {
                Sequence.closeAll(g1);
                Sequence.closeAll(g2);
            }
            TokenScores cpuScores = TokenScores.of(cpuLogits, TokenScores.flatten(prompts, targets, vocab));
            TokenScores gpuOnHost = TokenScores.of(gpuLogits, TokenScores.flatten(prompts, targets, vocab));
            double maxLogit = 0;
            for (float[] row : cpuLogits) for (float x : row) maxLogit = Math.max(maxLogit, Math.abs(x));
            double delta = 3e-2 * maxLogit, worst = 0;
            int checkedArgmax = 0;
            assertEquals(cpuScores.rows(), gpuScores.rows());
            for (int r = 0; r < cpuScores.rows(); r++) {
                double expected = cpuScores.targetLogProbs()[r], actual = gpuScores.targetLogProbs()[r];
                String at = "row " + r + ", " + random;
                if (Double.isNaN(expected)) {
                    assertTrue(Double.isNaN(actual), at + ": no target, NaN expected, got " + actual);
                    continue;
                }
                assertTrue(Math.abs(expected - actual) <= 2 * delta, at + ": log p " + actual + ", CPU " + expected + " (bound " + 2 * delta + ")");
                assertTrue(Math.abs(gpuOnHost.targetLogProbs()[r] - actual) <= 4 * vocab * 0x1p-53, at + ": log p " + actual
                        + ", host arithmetic on the GPU's logits " + gpuOnHost.targetLogProbs()[r]);
                assertEquals(gpuOnHost.argmax()[r], gpuScores.argmax()[r], at + ": argmax against the GPU's own logits");
                worst = Math.max(worst, Math.abs(expected - actual));
                int top = cpuScores.argmax()[r];
                if (gap(cpuLogits[r], top) > 2 * delta) {
                    assertEquals(top, gpuScores.argmax()[r], at + ": argmax");
                    checkedArgmax++;
                }
            }
            System.out.printf("device reductions, reference model: worst |Δ log p| = %.5f (bound 2δ = %.5f); argmax checked on %d of %d rows%n",
                    worst, 2 * delta, checkedArgmax, cpuScores.rows());

            // compareAll: tested sequences that first saw 30 other tokens, so the two passes' distributions differ, against
            // the host arithmetic on the same passes run again through forwardAll (the GPU's kernels are deterministic).
            List<int[]> prefix = List.of(random.ints(30, vocab), random.ints(30, vocab));
            List<Sequence<DeviceKvCache>> t1 = sequences(DeviceKvCaches.fp16(cuda.device()), model, 2), r1 = sequences(DeviceKvCaches.fp16(cuda.device()), model, 2),
                    t2 = sequences(DeviceKvCaches.fp16(cuda.device()), model, 2), r2 = sequences(DeviceKvCaches.fp16(cuda.device()), model, 2);
            try {
                gpu.forwardLast(t1, prefix);
                gpu.forwardLast(t2, prefix);
                LogitComparison onDevice = gpu.compareAll(t1, r1, prompts);
                float[][] testedLogits = gpu.forwardAll(t2, prompts), referenceLogits = gpu.forwardAll(r2, prompts);
                LogitComparison onHost = LogitComparison.of(referenceLogits, testedLogits);
                double largestKl = 0;
                for (int r = 0; r < onHost.rows(); r++) {
                    double d = 0;
                    for (int i = 0; i < vocab; i++) d = Math.max(d, Math.abs(referenceLogits[r][i] - testedLogits[r][i]));
                    double bound = 16 * vocab * 0x1p-53 * (1 + 4 * d); // as LogitReductionsGpuTest derives
                    assertTrue(Math.abs(onHost.kl()[r] - onDevice.kl()[r]) <= bound, "KL of row " + r + ": " + onDevice.kl()[r]
                            + ", host " + onHost.kl()[r] + " (bound " + bound + "), " + random);
                    assertEquals(onHost.referenceArgmax()[r], onDevice.referenceArgmax()[r], "reference argmax of row " + r);
                    assertEquals(onHost.testedArgmax()[r], onDevice.testedArgmax()[r], "tested argmax of row " + r);
                    largestKl = Math.max(largestKl, onHost.kl()[r]);
                }
                assertTrue(largestKl > 1e-6, "the prefix changes the tested distributions (largest KL " + largestKl + ")");

                // greedyLast: the argmax of the last rows, as forwardLast's logits give it on the GPU and, where the gap is
                // wide enough, on the CPU.
                List<int[]> feed = List.of(new int[]{gpuOnHost.argmax()[599]}, new int[]{gpuOnHost.argmax()[644]});
                int[] greedy = gpu.greedyLast(r1, feed);
                float[][] gpuNext = gpu.forwardLast(r2, feed), cpuNext = cpu.forwardLast(c, feed);
                for (int s = 0; s < 2; s++) {
                    assertEquals(DecoderPair.argmax(gpuNext[s]), greedy[s], "greedyLast of sequence " + s + " against forwardLast");
                    int top = DecoderPair.argmax(cpuNext[s]);
                    if (gap(cpuNext[s], top) > 2 * delta) assertEquals(top, greedy[s], "greedyLast of sequence " + s + " against the CPU, " + random);
                }
            } finally {
                for (List<Sequence<DeviceKvCache>> list : List.of(t1, r1, t2, r2)) Sequence.closeAll(list);
            }
        }
    }

    @Test
    void namesItsBackendAndDevice() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/qwen3")); CudaDecoder gpu = new CudaDecoder(model, cuda.device())) {
            assertEquals("cuda", gpu.backend());
            assertEquals("cuda:0 (" + cuda.device().name() + ")", gpu.device());
        }
    }

    private static <C extends SequenceCache> List<Sequence<C>> sequences(CacheFactory<C> caches, Model model, int n) {
        List<Sequence<C>> list = new ArrayList<>();
        for (int i = 0; i < n; i++) list.add(new Sequence<>(caches.create(model.kvLayout())));
        return list;
    }

    /** The top logit minus the runner-up. */
    private static double gap(float[] logits, int top) {
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) if (i != top) second = Math.max(second, logits[i]);
        return logits[top] - second;
    }

    private void prefillThenDecode(Path folder, int[] lengths, int steps) {
        new DecoderPair(cuda.device(), random, Model.load(folder), lengths.length, CPU_FP16, DeviceKvCaches.fp16(cuda.device())).prefillThenDecode(lengths, steps);
    }

}
