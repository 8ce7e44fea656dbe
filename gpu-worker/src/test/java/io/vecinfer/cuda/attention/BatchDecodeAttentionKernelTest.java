package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * GPU: the batch decode kernel (attend_decode_batch: the store, the split and the combine in one launch) against
 * {@link BatchDecodeAttention#reference} on fresh random rings, for a batch of sequences of different lengths in one
 * launch. Each case launches twice, out poisoned again in between: the second launch must give the same bits (the
 * combine's tickets were reset by the first, and which CTA combines does not change the sums' order). Inputs as in {@link TensorCoreAttentionKernelTest}: fp16 keys and values in [-1, 1), fp32 queries;
 * every ring slot past a sequence's new position holds fp16 NaN and out is NaN before the call, so a stale slot, a
 * wrong sequence's ring or an unwritten element fails. The kernels round nothing but the stored key and value (to
 * fp16, as the reference): the tolerance is the decode kernels' fp32 one, 2e-5. Lengths: 1 (position 0, one position),
 * lengths that are not multiples of the 128-position split, and one long enough that its ranges exceed 128 positions.
 * Every case runs a 2-layer ring and attends layer 1, so the layer offsets into the tables are used.
 *
 * <p>Windowed cases (a compressed cache's residual-window ring, window R): rings of about 2R slots that have wrapped,
 * each new token attending [windowStart(p, R), p]; every slot outside those positions is NaN, and lse (natural log)
 * must match the reference's within 2e-5 · max(1, |lse|).
 */
class BatchDecodeAttentionKernelTest {
    private static final double FP32 = 2e-5;
    private static final short HALF_NAN = (short) 0x7e00;
    private static final int LAYERS = 2, LAYER = 1;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    private void check(int kvHeads, int queryHeads, int headDim, int... positions) {
        checkWindowed(0, kvHeads, queryHeads, headDim, positions);
    }

    private void checkWindowed(int window, int kvHeads, int queryHeads, int headDim, int... positions) {
        KvLayout layout = new KvLayout(LAYERS, kvHeads, queryHeads, headDim);
        int batch = positions.length, width = layout.tokenWidth(), rowWidth = queryHeads * headDim;
        float scale = (float) (1 / Math.sqrt(headDim));
        short[][] keys = new short[batch][], values = new short[batch][];
        int[] capacities = new int[batch];
        List<Fp16KvRing> rings = new ArrayList<>();
        try {
            for (int s = 0; s < batch; s++) {
                // window 0: room past the position; windowed: a ring of about 2R slots, wrapped
                capacities[s] = window == 0 ? positions[s] + 1 + s * 3 : 2 * window + s * 3;
                keys[s] = random.halves(capacities[s] * width, 1);
                values[s] = random.halves(capacities[s] * width, 1);
                // NaN in every slot but those of the positions attended before the new one (the new slot too: the store must write it)
                boolean[] live = new boolean[capacities[s]];
                for (long p = WindowAttention.windowStart(positions[s], window); p < positions[s]; p++) live[(int) (p % capacities[s])] = true;
                for (int slot = 0; slot < capacities[s]; slot++) {
                    if (live[slot]) continue;
                    Arrays.fill(keys[s], slot * width, (slot + 1) * width, HALF_NAN);
                    Arrays.fill(values[s], slot * width, (slot + 1) * width, HALF_NAN);
                }
                Fp16KvRing ring = new Fp16KvRing(gpu.device(), layout, capacities[s]);
                rings.add(ring);
                for (int l = 0; l < LAYERS; l++) {
                    short[] poison = new short[keys[s].length];
                    Arrays.fill(poison, HALF_NAN);
                    ring.keys(l).write(l == LAYER ? keys[s] : poison);
                    ring.values(l).write(l == LAYER ? values[s] : poison);
                }
            }
            float[] q = random.floats(batch * rowWidth, 1), k = random.floats(batch * width, 1), v = random.floats(batch * width, 1);
            float[] poison = new float[batch * rowWidth];
            Arrays.fill(poison, Float.NaN);
            float[] actual, actualLse = null;
            short[][] storedKeys = new short[batch][], storedValues = new short[batch][];
            try (BatchDecodeAttention attention = new BatchDecodeAttention(gpu.device(), layout, window);
                 DeviceBuffer dq = gpu.device().upload(q); DeviceBuffer dk = gpu.device().upload(k); DeviceBuffer dv = gpu.device().upload(v);
                 DeviceBuffer out = gpu.device().upload(poison);
                 DeviceBuffer lse = gpu.device().upload(Arrays.copyOf(poison, batch * queryHeads))) {
                attention.prepare(rings, positions);
                attention.storeAndAttend(LAYER, dq.from(0), dk.from(0), dv.from(0), scale, out.from(0), window == 0 ? null : lse.from(0));
                actual = out.readFloats();
                if (window > 0) actualLse = lse.readFloats();
                out.write(poison);
                attention.storeAndAttend(LAYER, dq.from(0), dk.from(0), dv.from(0), scale, out.from(0), window == 0 ? null : lse.from(0));
                assertArrayEquals(actual, out.readFloats(), "a second launch on the same inputs differs from the first");
                for (int s = 0; s < batch; s++) {
                    storedKeys[s] = rings.get(s).keys(LAYER).readShorts(0, keys[s].length);
                    storedValues[s] = rings.get(s).values(LAYER).readShorts(0, values[s].length);
                }
            }
            float[] expected = new float[batch * rowWidth], expectedLse = new float[batch * queryHeads];
            BatchDecodeAttention.reference(q, k, v, keys, values, capacities, positions, layout, window, scale, expected, expectedLse);
            String what = "window " + window + ", kvHeads " + kvHeads + ", queryHeads " + queryHeads + ", headDim " + headDim + ", positions " + Arrays.toString(positions)
                    + ", " + random;
            for (int s = 0; s < batch; s++) {
                int sequence = s;
                assertArrayEquals(keys[s], storedKeys[s], () -> "sequence " + sequence + ": the key ring after the store differs from the reference's, " + what);
                assertArrayEquals(values[s], storedValues[s], () -> "sequence " + sequence + ": the value ring after the store differs from the reference's, " + what);
                for (int e = 0; e < rowWidth; e++) {
                    int i = s * rowWidth + e, h = e / headDim, c = e % headDim;
                    String element = "out[sequence " + s + "][head " + h + "][" + c + "]";
                    assertFalse(Float.isNaN(actual[i]), () -> element + " is NaN (unwritten, or a stale slot was read), " + what);
                    assertEquals(expected[i], actual[i], FP32, () -> element + ", " + what);
                }
                for (int h = 0; h < queryHeads && actualLse != null; h++) {
                    float e = expectedLse[s * queryHeads + h], a = actualLse[s * queryHeads + h];
                    String element = "lse[sequence " + s + "][head " + h + "]";
                    assertEquals(e, a, FP32 * Math.max(1, Math.abs(e)), () -> element + ", " + what);
                }
            }
        } finally {
            rings.forEach(Fp16KvRing::close);
        }
    }

    @Test
    void gqa4to1HeadDim128SequencesOfDifferentLengths() {
        check(2, 8, 128, 0, 128, 129, 1000, 4096, 300);
    }

    @Test
    void gqa16to1TwoRowBlocksEachWithItsOwnTicket() {
        // 16 query heads of one KV head are two blocks of 8 rows: two tickets a sequence, two CTAs of the last range
        // storing the same new token; the long one is cut into several ranges, the short one into one
        check(1, 16, 128, 3000, 40);
    }

    @Test
    void gqa7to1HeadDim64() {
        check(2, 14, 64, 1000, 0, 37, 255, 257);
    }

    @Test
    void gqa7to1HeadDim128() {
        check(1, 7, 128, 5, 640, 0);
    }

    @Test
    void gqa4to1HeadDim64WithRangesLongerThanTheMinimum() {
        // batch 2 × 2 KV heads: ~264 splits on an H200, so 40000 positions cut into ranges of ~152, one of 1
        check(2, 8, 64, 39999, 0);
    }

    @Test
    void llamaHeadsAtBatchOne() {
        check(8, 32, 128, 4095);
    }

    @Test
    void windowedRingsThatHaveWrapped() {
        // R = 32 (DeviceVqKvCacheTest's) and 128 (the e2e benchmark's): positions before 2R (no compressed token yet, the
        // whole sequence in the window), at and around block boundaries, and long past them
        checkWindowed(32, 2, 8, 128, 0, 63, 64, 95, 96, 1000, 4095);
        checkWindowed(128, 8, 32, 128, 255, 256, 383, 384, 32767, 196607);
        checkWindowed(32, 2, 14, 64, 70, 5, 129);
    }

    @Test
    void gqa8to1ManySequences() {
        int[] positions = new int[33];
        for (int s = 0; s < positions.length; s++) positions[s] = random.ints(1, 700)[0];
        positions[0] = 0;
        check(1, 8, 64, positions);
    }
}
