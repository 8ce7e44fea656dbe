package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SoftmaxAccumulator;
import io.vecinfer.quant.ResidualWindow;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * CPU: the ring store and window attention references, driven chunk by chunk as the CUDA decoder drives the kernels
 * (store a chunk, then attend with its queries), against the CPU caches fed token by token: DenseKvCache in fp16
 * (window 0) and ResidualWindow with its flush policy (window R). Values are uniform in [-1, 1), so outputs are
 * too; both sides sum in fp32 in different orders (online vs two-pass softmax), which moves results by ~1e-7:
 * 1e-5 is far below the ~1/n that a missing, extra or wrong position would change.
 */
class WindowAttentionReferenceTest {
    private static final double TOLERANCE = 1e-5;
    private final RandomInputs random = new RandomInputs();

    @Test
    void wholeHistoryIsTheFp16DenseCache() {
        KvLayout layout = new KvLayout(1, 2, 6, 16);
        float scale = 0.25f;
        DenseKvCache dense = new DenseKvCache(layout, DenseKvCache.Precision.FP16);
        int capacity = 64;
        Ring ring = new Ring(layout, capacity);
        int start = 0;
        for (int tokens : new int[]{7, 1, 1, 12, 1, 3}) {
            Chunk c = new Chunk(layout, tokens, random);
            float[] expected = new float[c.q.length];
            for (int t = 0; t < tokens; t++) {
                dense.append(0, c.k, t * layout.tokenWidth(), c.v, t * layout.tokenWidth());
                dense.attend(0, c.q, t * layout.queryHeads() * layout.headDim(), scale, expected, t * layout.queryHeads() * layout.headDim());
            }
            float[] out = ring.storeAndAttend(c, start, 0, scale, new float[tokens * layout.queryHeads()]);
            assertClose(expected, out, "chunk at " + start);
            start += tokens;
        }
    }

    @Test
    void windowIsTheResidualWindowWithItsFlushes() {
        KvLayout layout = new KvLayout(1, 2, 4, 8);
        int r = 4, maxChunk = 6;
        float scale = 0.5f;
        // The tightest ring the chunked order allows: the window before the chunk (≤ 2R - 1 positions) plus the chunk.
        Ring ring = new Ring(layout, 2 * r - 1 + maxChunk);
        ResidualWindow w = new ResidualWindow(layout, r);
        int start = 0;
        for (int tokens : new int[]{3, 6, 1, 1, 5, 6, 2, 1, 6, 4, 1, 1, 1}) {
            Chunk c = new Chunk(layout, tokens, random);
            int heads = layout.queryHeads(), d = layout.headDim();
            float[] expected = new float[c.q.length], expectedLse = new float[tokens * heads];
            for (int t = 0; t < tokens; t++) {
                w.append(c.k, t * layout.tokenWidth(), c.v, t * layout.tokenWidth());
                if (w.full()) w.dropBlock(); // WindowedKvCache encodes the oldest R here; they leave the window
                for (int h = 0; h < heads; h++) {
                    SoftmaxAccumulator acc = new SoftmaxAccumulator(d);
                    w.attend(h / layout.groupSize(), c.q, (t * heads + h) * d, scale, acc);
                    acc.finish(expected, (t * heads + h) * d);
                    expectedLse[t * heads + h] = acc.logSumExp();
                }
            }
            float[] lse = new float[tokens * heads];
            float[] out = ring.storeAndAttend(c, start, r, scale, lse);
            assertClose(expected, out, "chunk at " + start);
            assertClose(expectedLse, lse, "lse of chunk at " + start);
            start += tokens;
        }
    }

    private void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], TOLERANCE, what + " [" + i + "], " + random + "; expected "
                    + Arrays.toString(Arrays.copyOf(expected, Math.min(8, expected.length))));
        }
    }

    /** One chunk's new queries, keys and values. */
    private record Chunk(float[] q, float[] k, float[] v, int tokens) {
        Chunk(KvLayout layout, int tokens, RandomInputs random) {
            this(random.floats(tokens * layout.queryHeads() * layout.headDim(), 1), random.floats(tokens * layout.tokenWidth(), 1),
                    random.floats(tokens * layout.tokenWidth(), 1), tokens);
        }
    }

    /** fp16 rings on the heap, driven through the references as the device ring drives the kernels. */
    private record Ring(KvLayout layout, int capacity, short[] keys, short[] values) {
        Ring(KvLayout layout, int capacity) {
            this(layout, capacity, new short[capacity * layout.tokenWidth()], new short[capacity * layout.tokenWidth()]);
        }

        float[] storeAndAttend(Chunk c, int start, int window, float scale, float[] lse) {
            WindowAttention.storeReference(c.k, c.v, keys, values, layout, capacity, start, c.tokens);
            float[] out = new float[c.q.length];
            WindowAttention.attendReference(c.q, keys, values, layout, capacity, window, start, c.tokens, scale, out, lse);
            return out;
        }
    }
}
