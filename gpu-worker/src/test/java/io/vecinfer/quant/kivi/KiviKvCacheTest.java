package io.vecinfer.quant.kivi;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.CacheFootprint;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.TestData;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KiviKvCacheTest {
    private static final KvLayout LAYOUT = new KvLayout(1, 2, 4, 16);

    private static double errorAgainstDense(String spec, float[] keys, float[] values, int tokens, Random random) {
        KvCache kivi = KiviKvCache.factory((KiviSpec) MethodSpec.parse(spec)).create(LAYOUT);
        DenseKvCache dense = new DenseKvCache(LAYOUT, DenseKvCache.Precision.FP32);
        for (int t = 0; t < tokens; t++) {
            kivi.append(0, keys, t * LAYOUT.tokenWidth(), values, t * LAYOUT.tokenWidth());
            dense.append(0, keys, t * LAYOUT.tokenWidth(), values, t * LAYOUT.tokenWidth());
        }
        float[] q = TestData.gaussian(random, LAYOUT.queryHeads() * LAYOUT.headDim());
        float[] a = new float[q.length], b = new float[q.length];
        kivi.attend(0, q, 0, 0.25f, a, 0);
        dense.attend(0, q, 0, 0.25f, b, 0);
        return TestData.relativeError(a, b);
    }

    /** Groups whose elements lie on the 2-bit grid {0, .25, .5, .75} with both ends present quantize exactly. */
    @Test
    void dataOnTheQuantizationGridIsExact() {
        Random random = new Random(31);
        int tokens = 40; // r=8: 24 encoded (3 blocks, key groups of 4 tokens), 16 in the window
        float[] keys = new float[tokens * LAYOUT.tokenWidth()], values = new float[keys.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = 0.25f * random.nextInt(4);
            values[i] = 0.25f * random.nextInt(4);
        }
        int width = LAYOUT.tokenWidth();
        for (int t = 0; t < tokens; t += 4) {
            for (int c = 0; c < width; c++) {
                keys[t * width + c] = 0f;          // key groups: tokens t..t+3 of one channel
                keys[(t + 1) * width + c] = 0.75f;
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < width; c += 8) {
                values[t * width + c] = 0f;        // value groups: 8 channels of one token
                values[t * width + c + 1] = 0.75f;
            }
        }
        assertTrue(errorAgainstDense("kivi:k=b2g4,v=b2g8,r=8", keys, values, tokens, random) < 1e-6);
    }

    @Test
    void moreBitsLessError() {
        Random random = new Random(32);
        int tokens = 70;
        float[] keys = TestData.withOutlierChannels(TestData.gaussian(random, tokens * LAYOUT.tokenWidth()), 16, new int[]{2}, 10f);
        float[] values = TestData.gaussian(random, keys.length);
        double eight = errorAgainstDense("kivi:k=b8g16,v=b8g16,r=16", keys, values, tokens, new Random(1));
        double two = errorAgainstDense("kivi:k=b2g16,v=b2g16,r=16", keys, values, tokens, new Random(1));
        assertTrue(eight < 1e-2, "8-bit error " + eight);
        assertTrue(two > 3 * eight, "2-bit error " + two + " vs 8-bit " + eight);
    }

    @Test
    void storedBytesMatchTheFootprintWithPartialGroups() {
        KiviSpec spec = (KiviSpec) MethodSpec.parse("kivi:k=b3g5,v=b2g6,r=8");
        KvCache cache = KiviKvCache.factory(spec).create(LAYOUT);
        Random random = new Random(33);
        int tokens = 45; // 32 encoded in 4 blocks; key groups 5+3 per block; value groups 6+6+4 per token
        float[] x = TestData.gaussian(random, tokens * LAYOUT.tokenWidth());
        for (int t = 0; t < tokens; t++) cache.append(0, x, t * LAYOUT.tokenWidth(), x, t * LAYOUT.tokenWidth());
        CacheFootprint f = CacheFootprint.of(spec, LAYOUT, tokens);
        assertEquals(f.totalBytes(), cache.storedBytes(), 0.0);
        long perHead = (32 * 16 * 3 + 7) / 8 + (32 * 16 * 2 + 7) / 8 + 4L * (4 * 2 * 16 + 32 * 3);
        assertEquals(2 * perHead + 2L * 13 * 16 * 4, cache.storedBytes());
    }
}
