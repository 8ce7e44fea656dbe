package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GPU: the batch prefill launches ({@link BatchPrefillAttention}: store_kv_batch, then attend_prefill_*_batch) for
 * sequences of different lengths and starts in one launch each, every {@link PrefillAttention.Kernel}, against
 * {@link WindowAttention#storeReference} then {@link WindowAttention#attendReference} per sequence, with
 * {@link TensorCoreAttentionKernelTest}'s tolerances; and bit for bit against each sequence's own launches
 * ({@link Fp16KvRing#store}, {@link PrefillAttention#attend}), which run the same code per CTA.
 *
 * <p>Inputs: fresh random fp16 rings holding, in layer 1 (the one attended: its tables sit after layer 0's), the
 * positions each sequence's queries read before its new tokens and fp16 NaN in every other slot (layer 0 all NaN); new
 * keys and values fp32 in [-1, 1), queries fp16 values. out and lse are NaN before the launches: an unwritten element,
 * a stale slot or another sequence's ring fails. The rings after the store must equal the reference's bit for bit.
 * Cases: starts > 0 (a sequence continuing after earlier tokens), capacities that are not multiples of a tile, lengths
 * that are not multiples of 64 or 128 (5: just above the decode kernel's), GQA 7:1, 4:1 and 8:1, head_dim 64 and 128,
 * and windowed rings (a compressed cache's residual window) that wrap. head_dim 64 under WGMMA checks the kernel it is
 * handed to (MMA_M128).
 */
class BatchPrefillAttentionKernelTest {
    private static final short HALF_NAN = (short) 0x7e00;
    private static final int LAYERS = 2, LAYER = 1;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    /** (kvHeads, queryHeads, headDim, window), then per sequence (capacity, start, tokens). */
    private static final int[][][] CASES = {
            {{2, 14, 128, 0}, {400, 0, 67}, {777, 300, 130}, {250, 0, 5}, {1031, 0, 1000}},   // GQA 7:1
            {{2, 8, 64, 0}, {300, 100, 17}, {1100, 700, 300}, {64, 0, 64}, {129, 0, 129}},    // GQA 4:1, head_dim 64
            {{8, 32, 128, 0}, {1024, 0, 300}, {1300, 500, 700}, {600, 0, 6}},                 // the 8B's heads, GQA 4:1
            {{2, 16, 128, 0}, {900, 0, 899}},                                                 // one sequence, GQA 8:1
            {{2, 8, 128, 128}, {768, 1000, 200}, {768, 3000, 130}, {768, 0, 100}},            // window R = 128, rings of 2R + 512 that wrap
            {{2, 8, 64, 32}, {127, 50, 64}, {100, 7, 9}},                                     // small R, the tightest ring (2R - 1 + 64)
    };

    @ParameterizedTest
    @EnumSource(PrefillAttention.Kernel.class)
    void batchMatchesTheReferenceAndEachSequencesOwnLaunch(PrefillAttention.Kernel kernel) {
        int cc = gpu.device().computeCapability();
        assumeTrue(kernel.runs(128, cc), () -> kernel + " does not run on compute capability " + cc);
        for (int[][] c : CASES) check(kernel, c);
    }

    private void check(PrefillAttention.Kernel kernel, int[][] c) {
        KvLayout layout = new KvLayout(LAYERS, c[0][0], c[0][1], c[0][2]);
        int window = c[0][3], n = c.length - 1, width = layout.tokenWidth(), rowWidth = layout.queryHeads() * layout.headDim();
        float scale = (float) (1 / Math.sqrt(layout.headDim()));
        int[] capacities = new int[n], starts = new int[n], tokens = new int[n], rowStarts = new int[n + 1];
        short[][] keys = new short[n][], values = new short[n][];
        for (int s = 0; s < n; s++) {
            capacities[s] = c[s + 1][0];
            starts[s] = c[s + 1][1];
            tokens[s] = c[s + 1][2];
            rowStarts[s + 1] = rowStarts[s] + tokens[s];
            keys[s] = random.halves(capacities[s] * width, 1);
            values[s] = random.halves(capacities[s] * width, 1);
            boolean[] read = new boolean[capacities[s]];  // the earlier positions the new queries read
            for (long p = WindowAttention.windowStart(starts[s], window); p < starts[s]; p++) read[(int) (p % capacities[s])] = true;
            for (int slot = 0; slot < capacities[s]; slot++) {
                if (read[slot]) continue;
                Arrays.fill(keys[s], slot * width, (slot + 1) * width, HALF_NAN);
                Arrays.fill(values[s], slot * width, (slot + 1) * width, HALF_NAN);
            }
        }
        int rows = rowStarts[n];
        float[] k = random.floats(rows * width, 1), v = random.floats(rows * width, 1), q = random.floats(rows * rowWidth, 1);
        for (int i = 0; i < q.length; i++) q[i] = Half.toFloat(Half.fromFloat(q[i]));
        // The reference: each sequence's store, then its attention.
        short[][] storedKeys = new short[n][], storedValues = new short[n][];
        for (int s = 0; s < n; s++) {
            storedKeys[s] = keys[s].clone();
            storedValues[s] = values[s].clone();
            WindowAttention.storeReference(Arrays.copyOfRange(k, rowStarts[s] * width, rowStarts[s + 1] * width),
                    Arrays.copyOfRange(v, rowStarts[s] * width, rowStarts[s + 1] * width), storedKeys[s], storedValues[s], layout, capacities[s],
                    starts[s], tokens[s]);
        }
        String what = kernel + ", " + layout + ", window " + window + ", (capacity, start, tokens) " + Arrays.deepToString(Arrays.copyOfRange(c, 1, c.length))
                + ", " + random;

        Result batch = run(layout, capacities, keys, values, k, v, q, rows, (rings, dk, dv, dq, out, lse) -> {
            try (BatchPrefillAttention attention = new BatchPrefillAttention(gpu.device(), layout, window, kernel)) {
                attention.prepare(rings, starts, tokens);
                attention.store(LAYER, dk.from(0), dv.from(0));
                attention.attend(LAYER, dq.from(0), scale, out.from(0), lse.from(0));
                gpu.device().synchronize();
            }
        });
        Result own = run(layout, capacities, keys, values, k, v, q, rows, (rings, dk, dv, dq, out, lse) -> {
            PrefillAttention prefill = new PrefillAttention(gpu.device(), kernel);
            for (int s = 0; s < n; s++) {
                Fp16KvRing ring = rings.get(s);
                ring.store(LAYER, dk.from((long) rowStarts[s] * width), dv.from((long) rowStarts[s] * width), starts[s], tokens[s]);
                prefill.attend(dq.from((long) rowStarts[s] * rowWidth), ring.keys(LAYER), ring.values(LAYER), layout, capacities[s], window,
                        starts[s], tokens[s], scale, out.from((long) rowStarts[s] * rowWidth), lse.from((long) rowStarts[s] * layout.queryHeads()));
            }
        });
        for (int s = 0; s < n; s++) {
            int sequence = s;
            assertArrayEquals(storedKeys[s], batch.keys[s], () -> "keys stored for sequence " + sequence + ", " + what);
            assertArrayEquals(storedValues[s], batch.values[s], () -> "values stored for sequence " + sequence + ", " + what);
            float[] out = Arrays.copyOfRange(batch.out, rowStarts[s] * rowWidth, rowStarts[s + 1] * rowWidth);
            float[] lse = Arrays.copyOfRange(batch.lse, rowStarts[s] * layout.queryHeads(), rowStarts[s + 1] * layout.queryHeads());
            var call = new TensorCoreAttentionKernelTest.Call(layout, window, capacities[s], starts[s], tokens[s], scale, storedKeys[s], storedValues[s],
                    Arrays.copyOfRange(q, rowStarts[s] * rowWidth, rowStarts[s + 1] * rowWidth));
            TensorCoreAttentionKernelTest.check(call, new float[][]{out, lse}, true, "sequence " + s + " of the batch launch, " + what);
        }
        // check() failed on any NaN; now every bit as each sequence's own launches.
        assertArrayEquals(bits(own.out), bits(batch.out), () -> "out: the batch launch against each sequence's own, " + what);
        assertArrayEquals(bits(own.lse), bits(batch.lse), () -> "lse: the batch launch against each sequence's own, " + what);
        for (int s = 0; s < n; s++) assertArrayEquals(own.keys[s], batch.keys[s], "keys of sequence " + s + ": store_kv_batch against store_kv, " + what);
    }

    private record Result(float[] out, float[] lse, short[][] keys, short[][] values) {
    }

    private interface Launches {
        void run(List<Fp16KvRing> rings, DeviceBuffer k, DeviceBuffer v, DeviceBuffer q, DeviceBuffer out, DeviceBuffer lse);
    }

    /** Fresh rings of the given layer-1 contents (layer 0 NaN), NaN-poisoned out and lse; the launches; what they left. */
    private Result run(KvLayout layout, int[] capacities, short[][] keys, short[][] values, float[] k, float[] v, float[] q, int rows, Launches launches) {
        int n = capacities.length;
        List<Fp16KvRing> rings = new ArrayList<>();
        float[] poison = new float[q.length], lsePoison = new float[rows * layout.queryHeads()];
        Arrays.fill(poison, Float.NaN);
        Arrays.fill(lsePoison, Float.NaN);
        try (DeviceBuffer dk = gpu.device().upload(k); DeviceBuffer dv = gpu.device().upload(v); DeviceBuffer dq = gpu.device().upload(q);
             DeviceBuffer out = gpu.device().upload(poison); DeviceBuffer lse = gpu.device().upload(lsePoison)) {
            for (int s = 0; s < n; s++) {
                Fp16KvRing ring = new Fp16KvRing(gpu.device(), layout, capacities[s]);
                rings.add(ring);
                short[] nan = new short[keys[s].length];
                Arrays.fill(nan, HALF_NAN);
                for (int l = 0; l < LAYERS; l++) {
                    ring.keys(l).write(l == LAYER ? keys[s] : nan);
                    ring.values(l).write(l == LAYER ? values[s] : nan);
                }
            }
            launches.run(rings, dk, dv, dq, out, lse);
            short[][] ringKeys = new short[n][], ringValues = new short[n][];
            for (int s = 0; s < n; s++) {
                ringKeys[s] = rings.get(s).keys(LAYER).readShorts(0, keys[s].length);
                ringValues[s] = rings.get(s).values(LAYER).readShorts(0, values[s].length);
            }
            return new Result(out.readFloats(), lse.readFloats(), ringKeys, ringValues);
        } finally {
            rings.forEach(Fp16KvRing::close);
        }
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }
}
