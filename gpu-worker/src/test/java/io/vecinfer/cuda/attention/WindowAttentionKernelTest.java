package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** GPU: store_kv and attend_window against their Java references on fresh random rings and queries. */
class WindowAttentionKernelTest {
    /**
     * Keys, values and queries are uniform in [-1, 1), so outputs are in [-1, 1]. Both sides sum in fp32 in different
     * orders (dots over ≤ 256 channels, tiles of 256 positions with an online max, expf within 2 ulp): differences
     * are ~1e-6. Leaving out, adding or misplacing one of n ≤ 5000 positions changes an output by about 1/(2n) ≥ 1e-4
     * and the lse by about 1/n: five times this tolerance or more.
     */
    private static final double TOLERANCE = 2e-5;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @Test
    void storeRoundsToNearestEvenIntoRingSlots() {
        KvLayout layout = new KvLayout(1, 2, 4, 128);
        int capacity = 50, start = 37, tokens = 30; // wraps around the ring's end
        float[] k = random.floats(tokens * layout.tokenWidth(), 70000), v = random.floats(tokens * layout.tokenWidth(), 1e-5);
        short[] keys = random.halves(capacity * layout.tokenWidth(), 1), values = random.halves(capacity * layout.tokenWidth(), 1);
        short[] actualKeys, actualValues;
        try (DeviceBuffer dk = gpu.device().upload(k); DeviceBuffer dv = gpu.device().upload(v);
             DeviceBuffer keyRing = gpu.device().allocate(2L * keys.length); DeviceBuffer valueRing = gpu.device().allocate(2L * values.length)) {
            keyRing.write(keys);
            valueRing.write(values);
            new WindowAttention(gpu.device()).store(dk.from(0), dv.from(0), keyRing, valueRing, layout, capacity, start, tokens);
            actualKeys = keyRing.readShorts(0, keys.length);
            actualValues = valueRing.readShorts(0, values.length);
        }
        // Keys up to 70000 overflow fp16 (max 65504) to infinity and values near 1e-5 are subnormal: both edges of rounding.
        WindowAttention.storeReference(k, v, keys, values, layout, capacity, start, tokens);
        assertArrayEquals(keys, actualKeys, "keys, " + random);
        assertArrayEquals(values, actualValues, "values, " + random);
    }

    /** (kvHeads, queryHeads, headDim, window, capacity, start, tokens) */
    private static final int[][] CASES = {
            {2, 4, 128, 0, 1024, 0, 300},     // prefill over two tiles, GQA 2
            {2, 4, 128, 0, 1024, 700, 1},     // decode over three tiles
            {2, 4, 128, 0, 4096, 3000, 2},    // a long history
            {1, 12, 64, 0, 512, 40, 60},      // a group of 12: two CTAs of 8 and 4 heads
            {2, 14, 256, 0, 600, 500, 9},     // group 7, head_dim 256
            {4, 4, 16, 0, 100, 20, 33},       // no GQA, head_dim 16 (the tiny fixtures)
            {2, 8, 64, 128, 768, 1000, 200},  // VQ residual window R = 128 in a ring of 2R + 512, wrapping
            {2, 8, 64, 32, 127, 50, 64},      // small R, the chunk crosses several flushes, tightest ring (2R - 1 + 64)
    };

    @Test
    void attendMatchesReference() {
        for (int[] c : CASES) {
            KvLayout layout = new KvLayout(1, c[0], c[1], c[2]);
            int window = c[3], capacity = c[4], start = c[5], tokens = c[6];
            float scale = (float) (1 / Math.sqrt(layout.headDim()));
            short[] keys = random.halves(capacity * layout.tokenWidth(), 1), values = random.halves(capacity * layout.tokenWidth(), 1);
            float[] q = random.floats(tokens * layout.queryHeads() * layout.headDim(), 1);
            float[] expected = new float[q.length], expectedLse = new float[tokens * layout.queryHeads()];
            WindowAttention.attendReference(q, keys, values, layout, capacity, window, start, tokens, scale, expected, expectedLse);
            float[] actual, lse;
            try (DeviceBuffer keyRing = gpu.device().allocate(2L * keys.length); DeviceBuffer valueRing = gpu.device().allocate(2L * values.length);
                 DeviceBuffer dq = gpu.device().upload(q); DeviceBuffer out = gpu.device().allocate(4L * q.length);
                 DeviceBuffer dlse = gpu.device().allocate(4L * expectedLse.length)) {
                keyRing.write(keys);
                valueRing.write(values);
                new WindowAttention(gpu.device()).attend(dq.from(0), keyRing, valueRing, layout, capacity, window, start, tokens, scale,
                        out.from(0), dlse.from(0));
                actual = out.readFloats();
                lse = dlse.readFloats();
            }
            String what = java.util.Arrays.toString(c) + ", " + random;
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], TOLERANCE, "out[" + i + "] " + what);
            for (int i = 0; i < lse.length; i++) assertEquals(expectedLse[i], lse[i], TOLERANCE, "lse[" + i + "] " + what);
        }
    }

    /** The dense cache passes no lse buffer: the kernel must then skip it (a null pointer). */
    @Test
    void attendWithoutLse() {
        KvLayout layout = new KvLayout(1, 2, 4, 64);
        int capacity = 64, start = 10, tokens = 5;
        short[] keys = random.halves(capacity * layout.tokenWidth(), 1), values = random.halves(capacity * layout.tokenWidth(), 1);
        float[] q = random.floats(tokens * layout.queryHeads() * layout.headDim(), 1);
        float[] expected = new float[q.length];
        WindowAttention.attendReference(q, keys, values, layout, capacity, 0, start, tokens, 0.125f, expected, null);
        float[] actual;
        try (DeviceBuffer keyRing = gpu.device().allocate(2L * keys.length); DeviceBuffer valueRing = gpu.device().allocate(2L * values.length);
             DeviceBuffer dq = gpu.device().upload(q); DeviceBuffer out = gpu.device().allocate(4L * q.length)) {
            keyRing.write(keys);
            valueRing.write(values);
            new WindowAttention(gpu.device()).attend(dq.from(0), keyRing, valueRing, layout, capacity, 0, start, tokens, 0.125f, out.from(0), null);
            actual = out.readFloats();
        }
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], TOLERANCE, "out[" + i + "], " + random);
    }
}
