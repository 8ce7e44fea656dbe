package io.vecinfer.decoder;

import io.vecinfer.cuda.ops.LogitReductions;
import io.vecinfer.eval.metrics.LogitFidelity;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reductions contract of {@link DecoderBackend} on the CPU decoder, the oracle: scoreAll, compareAll and
 * greedyLast give bit for bit what the tasks computed before from forwardAll / forwardLast and
 * {@link LogitFidelity}, so CPU results do not move; and the host arithmetic beside the CUDA wrapper
 * ({@link LogitReductions#scoreReference}) is that same arithmetic.
 */
class LogitReductionContractTest {
    private static final KvCacheFactory FP16 = DenseKvCache.factory(DenseKvCache.Precision.FP16);

    private final SplittableRandom random = new SplittableRandom();

    @Test
    void scoreAllIsTheLogSoftmaxOfForwardAllBitForBit() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"))) {
            Decoder decoder = new Decoder(model);
            List<int[]> prompts = List.of(tokens(model, 40), tokens(model, 9));
            List<int[]> targets = List.of(TokenScores.nextTokens(prompts.get(0)), TokenScores.nextTokens(prompts.get(1)));
            float[][] logits = decoder.forwardAll(sequences(model, 2), prompts);
            TokenScores scores = decoder.scoreAll(sequences(model, 2), prompts, targets);
            assertEquals(49, scores.rows());
            int row = 0;
            for (int s = 0; s < prompts.size(); s++) {
                for (int t = 0; t < prompts.get(s).length; t++, row++) {
                    int target = targets.get(s)[t];
                    double expected = target == TokenScores.NO_TARGET ? Double.NaN : LogitFidelity.logSoftmax(logits[row])[target];
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(scores.targetLogProbs()[row]), "row " + row);
                    assertEquals(LogitFidelity.argmax(logits[row]), scores.argmax()[row], "argmax of row " + row);
                }
            }
            assertTrue(Double.isNaN(scores.targetLogProbs()[39]) && Double.isNaN(scores.targetLogProbs()[48]), "last tokens predict nothing");
        }
    }

    @Test
    void compareAllIsTheKlOfTwoForwardAllsBitForBit() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"))) {
            Decoder decoder = new Decoder(model);
            KvCacheFactory fp32 = DenseKvCache.factory(DenseKvCache.Precision.FP32);
            List<int[]> prompts = List.of(tokens(model, 30), tokens(model, 17));
            float[][] tested = decoder.forwardAll(sequences(model, 2), prompts);
            float[][] reference = decoder.forwardAll(sequences(model, fp32, 2), prompts);
            LogitComparison c = decoder.compareAll(sequences(model, 2), sequences(model, fp32, 2), prompts);
            assertEquals(47, c.rows());
            for (int r = 0; r < 47; r++) {
                assertEquals(Double.doubleToRawLongBits(LogitFidelity.klDivergence(reference[r], tested[r])), Double.doubleToRawLongBits(c.kl()[r]), "row " + r);
                assertEquals(LogitFidelity.top1Agrees(reference[r], tested[r]), c.top1Agrees(r), "row " + r);
            }
            assertTrue(c.kl()[5] > 0, "fp16 and fp32 caches differ a little");
        }
    }

    @Test
    void greedyLastIsTheArgmaxOfForwardLast() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"))) {
            Decoder decoder = new Decoder(model);
            List<int[]> prompts = List.of(tokens(model, 12), tokens(model, 3), tokens(model, 1));
            float[][] logits = decoder.forwardLast(sequences(model, 3), prompts);
            int[] greedy = decoder.greedyLast(sequences(model, 3), prompts);
            for (int s = 0; s < 3; s++) assertEquals(Sampling.argmax(logits[s]), greedy[s]);
        }
    }

    @Test
    void targetsAreCheckedBeforeAnythingRuns() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"))) {
            Decoder decoder = new Decoder(model);
            List<Sequence<KvCache>> s = sequences(model, 1);
            int[] prompt = tokens(model, 4);
            assertThrows(IllegalArgumentException.class, () -> decoder.scoreAll(s, List.of(prompt), List.of(new int[3])));
            assertThrows(IllegalArgumentException.class, () -> decoder.scoreAll(s, List.of(prompt), List.of(new int[]{1, 2, 3, 384})));
            assertEquals(0, s.get(0).position());
        }
    }

    @Test
    void logProbabilityIsTheLogSoftmaxEntryBitForBit() {
        for (int trial = 0; trial < 20; trial++) {
            float[] row = new float[1 + random.nextInt(3000)];
            for (int i = 0; i < row.length; i++) row[i] = (float) (random.nextGaussian() * 5 + (trial == 3 ? 1000 : 0));
            int t = random.nextInt(row.length);
            assertEquals(Double.doubleToRawLongBits(LogitStatistics.logSoftmax(row)[t]), Double.doubleToRawLongBits(LogitStatistics.logProbability(row, t)));
        }
    }

    @Test
    void theCudaWrappersReferenceIsTheHostArithmetic() {
        int rows = 5, vocab = 700;
        float[] flat = new float[rows * vocab], other = new float[rows * vocab];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = (float) random.nextGaussian() * 3;
            other[i] = flat[i] + (float) random.nextGaussian() * 0.1f;
        }
        float[][] byRow = new float[rows][], otherByRow = new float[rows][];
        for (int r = 0; r < rows; r++) {
            byRow[r] = java.util.Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
            otherByRow[r] = java.util.Arrays.copyOfRange(other, r * vocab, (r + 1) * vocab);
        }
        int[] targets = {3, TokenScores.NO_TARGET, 699, 0, 350};
        LogitReductions.Scores scores = LogitReductions.scoreReference(flat, targets, rows, vocab);
        TokenScores host = TokenScores.of(byRow, targets);
        assertArrayEquals(host.targetLogProbs(), scores.targetLogProb());
        assertArrayEquals(host.argmax(), scores.argmax());
        for (int r = 0; r < rows; r++) {
            assertEquals(byRow[r][host.argmax()[r]], scores.max()[r]);
            assertEquals(-LogitStatistics.logSoftmax(byRow[r])[host.argmax()[r]], scores.logSum()[r], 0.0, "log p(max) = −log Σ");
        }
        LogitReductions.Comparison c = LogitReductions.compareReference(flat, other, rows, vocab);
        LogitComparison hostC = LogitComparison.of(byRow, otherByRow);
        assertArrayEquals(hostC.kl(), c.kl());
        assertArrayEquals(hostC.referenceArgmax(), c.referenceArgmax());
        assertArrayEquals(hostC.testedArgmax(), c.testedArgmax());
    }

    @Test
    void argmaxKeepsTheFirstOfEqualMaxima() {
        assertEquals(1, LogitStatistics.argmax(new float[]{0f, 2f, 2f}));
        assertEquals(0, LogitStatistics.argmax(new float[]{Float.NaN, 2f, 3f}), "the CPU's scan: nothing beats a NaN at 0");
        assertEquals(2, LogitStatistics.argmax(new float[]{1f, Float.NaN, 3f}));
    }

    @Test
    void chunksFollowTheRule() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"))) {
            var config = model.config();
            List<Sequence<KvCache>> two = sequences(model, 2);
            List<Batching.Chunk<KvCache>> one = Batching.chunks(config, two, List.of(new int[100], new int[28]), 128);
            assertEquals(1, one.size(), "128 rows fit one pass of 128");
            assertEquals(128, one.get(0).rows());
            List<Batching.Chunk<KvCache>> split = Batching.chunks(config, two, List.of(new int[100], new int[29]), 64);
            assertEquals(List.of(64, 36, 29), split.stream().map(Batching.Chunk::rows).toList());
            assertEquals(List.of(false, true, true), split.stream().map(c -> c.ends()[0]).toList());
            assertEquals(two.get(1), split.get(2).sequences().get(0));
        }
    }

    @Test
    void packedChunksFillWholePassesAndKeepRowOrder() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"))) {
            List<Sequence<KvCache>> three = sequences(model, 3);
            int[] a = tokens(model, 100), b = tokens(model, 20), c = tokens(model, 50);
            List<Batching.Chunk<KvCache>> packed = Batching.packedChunks(model.config(), three, List.of(a, b, c), 64);
            assertEquals(List.of(64, 64, 42), packed.stream().map(Batching.Chunk::rows).toList());
            // [64 of a], [36 of a, 20 of b, 8 of c], [42 of c]
            assertEquals(List.of(three.get(0)), packed.get(0).sequences());
            assertEquals(three, packed.get(1).sequences());
            assertEquals(List.of(three.get(2)), packed.get(2).sequences());
            assertArrayEquals(new boolean[]{false}, packed.get(0).ends());
            assertArrayEquals(new boolean[]{true, true, false}, packed.get(1).ends());
            assertArrayEquals(new boolean[]{true}, packed.get(2).ends());
            int[] rows = new int[170];
            int at = 0;
            for (Batching.Chunk<KvCache> chunk : packed) for (int[] t : chunk.newTokens()) for (int x : t) rows[at++] = x;
            int[] expected = new int[170];
            System.arraycopy(a, 0, expected, 0, 100);
            System.arraycopy(b, 0, expected, 100, 20);
            System.arraycopy(c, 0, expected, 120, 50);
            assertArrayEquals(expected, rows, "rows sequence after sequence");
            // forwardLast through packed passes keeps one row per sequence, in order, from the pass that ends it.
            float[][] last = Batching.forward(packed, false, (s, t, e) -> {
                float[][] out = new float[s.size()][];
                for (int i = 0; i < s.size(); i++) out[i] = new float[]{three.indexOf(s.get(i)), t.get(i)[t.get(i).length - 1]};
                return out;
            });
            assertEquals(3, last.length);
            for (int s = 0; s < 3; s++) assertEquals(s, (int) last[s][0]);
            assertEquals(c[49], (int) last[2][1]);
            assertEquals(1, Batching.packedChunks(model.config(), three, List.of(a, b, c), 170).size(), "all of it fits one pass");
        }
    }

    private int[] tokens(Model model, int n) {
        return random.ints(n, 0, model.config().vocabSize()).toArray();
    }

    private List<Sequence<KvCache>> sequences(Model model, int n) {
        return sequences(model, FP16, n);
    }

    private List<Sequence<KvCache>> sequences(Model model, KvCacheFactory caches, int n) {
        List<Sequence<KvCache>> list = new ArrayList<>();
        for (int i = 0; i < n; i++) list.add(new Sequence<>(caches.create(model.kvLayout())));
        return list;
    }
}
