package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel the decoder's plan picks (vq_lut_attention where it serves the configuration, else vq_attention) against
 * {@link VqAttentionKernel#reference} on fresh random inputs (skips without a GPU). Rows of different lengths, none a
 * multiple of the tile, one with no compressed token yet, the last window tokens left to the fp16 part; outputs
 * poisoned with NaN first. The reference mirrors the LUT kernel's roundings (fp16 table, fp16 partial sums of eight
 * entries in the lane's skewed order, fp32 value fmaf in token order); what remains is expf/logf against Java's
 * exp/log and the order of the shuffle merges, about 1e-7 relative: o within 1e-5 of its largest magnitude (1e-4 for the
 * fp16 value path, see below), lse within 1e-5. An indexing, skew or softmax bug is off by O(1). Every LUT configuration
 * with value dims ≥ 2 also runs the fp16 value path (LUT_HALF_VALUES), against its own mirror.
 */
class VqLutAttentionGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2100;
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1, 0}, ROW_POSITION = {10, 700, CAPACITY - 1, 1300, 1663};

    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 128, LUT", "'vecinfer:k=d8b8,v=d8b8,r=64', 8, 128, LUT",
            "'vecinfer:k=d2b8,v=d2b8,r=64', 8, 128, LUT", "'vecinfer:k=d8b8,v=d4b8,r=64', 8, 128, LUT",
            "'vecinfer:k=d4b8,v=d2b8,r=64,scope=head', 4, 128, LUT", "'vecinfer:k=d4b8,v=d8b8,r=64,hadamard=off,smooth=off', 6, 128, LUT",
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 64, LUT", "'vecinfer:k=d4b8,v=d1b8,r=64', 8, 64, LUT",
            "'vecinfer:k=d4b8,v=d4b8,r=64', 14, 128, GENERAL", "'vecinfer:k=d4b8,v=d4b8,r=64,scope=subspace', 8, 128, GENERAL",
            "'vecinfer:k=d8b12,v=d4b8,r=64', 8, 128, GENERAL"})
    void chosenKernelMatchesTheReference(String text, int queryHeads, int headDim, VqAttentionKernel.Variant expected) {
        Random random = new Random(text.hashCode() ^ queryHeads ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        KvLayout layout = new KvLayout(2, 2, queryHeads, headDim);
        FlatCodebooks flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, layout, random));
        int layer = 1, rows = ROW_POSITION.length, states = rows * queryHeads, d = layout.headDim();
        VqCodeLayout keyLayout = VqCodeLayout.of(3, layout.layers(), layout.kvHeads(), CAPACITY, flat.keySubspaces(), spec.keys().bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(3, layout.layers(), layout.kvHeads(), CAPACITY, flat.valueSubspaces(), spec.values().bits());
        short[] keyCodes = VqTestInputs.randomCodes(random, keyLayout.length(), spec.keys().bits());
        short[] valueCodes = VqTestInputs.randomCodes(random, valueLayout.length(), spec.values().bits());
        float[] q = TestData.gaussian(random, states * d);
        float scale = (float) (1 / Math.sqrt(d));
        int maxCompressed = (int) ResidualWindow.compressedTokens(CAPACITY, WINDOW);
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             VqAttentionKernel kernel = new VqAttentionKernel(device);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes());
             DeviceBuffer qs = device.upload(q); DeviceBuffer seq = device.upload(ROW_SEQUENCE); DeviceBuffer pos = device.upload(ROW_POSITION);
             DeviceBuffer o = device.allocate(4L * states * d); DeviceBuffer lse = device.allocate(4L * states)) {
            kc.write(keyLayout.pack(keyCodes));
            vc.write(valueLayout.pack(valueCodes));
            VqAttentionKernel.Plan own = kernel.plan(flat, rows, maxCompressed);
            assertEquals(expected, own.variant(), own.toString());
            List<VqAttentionKernel.Plan> plans = new ArrayList<>(List.of(own, own.withSplits(3, 2 * own.threads())));
            if (own.variant() == VqAttentionKernel.Variant.LUT && own.threads() == 512) { // the 256-thread block too
                plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, rows, true, VqAttentionKernel.Variant.LUT, 256));
            }
            VqAttentionKernel.Plan halfValues = kernel.lutHalfValuesPlan(flat, rows, maxCompressed);
            if (own.variant().lut()) plans.add(own.withSplits(3, 736)); // chunks in warp tiles, not whole tiles (the planner's now)
            if (halfValues != null) { // 512 threads (the planner's), a chunk of no whole tile, and the 256-thread block
                plans.add(halfValues.withSplits(3, 512));
                plans.add(halfValues.withSplits(2, 1056));
                plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, rows, true, VqAttentionKernel.Variant.LUT_HALF_VALUES, 256));
            }
            for (VqAttentionKernel.Plan plan : plans) {
                float[] nan = new float[states * d];
                Arrays.fill(nan, Float.NaN);
                o.write(nan);
                lse.write(Arrays.copyOf(nan, states));
                kernel.launch(books, layer, plan, qs.from(0), rows, seq, pos, WINDOW, scale, kc, keyLayout, vc, valueLayout, o, lse);
                device.synchronize();
                float[] expectedO = new float[states * d], expectedLse = new float[states];
                VqAttentionKernel.reference(flat, layer, plan, q, rows, ROW_SEQUENCE, ROW_POSITION, WINDOW, scale, keyCodes, keyLayout,
                        valueCodes, valueLayout, expectedO, expectedLse);
                float[] gotO = o.readFloats(), gotLse = lse.readFloats();
                for (float x : gotO) assertTrue(Float.isFinite(x), plan + ": a non-finite output");
                double error = TestData.relativeError(gotO, expectedO);
                // fp16 value path: a weight within an fp32 ulp (expf against exp) of an fp16 rounding boundary rounds the other
                // way, 2^-11 of that one token's share: far below 1e-4 unless one token dominates (random inputs: none)
                double bound = plan.variant() == VqAttentionKernel.Variant.LUT_HALF_VALUES ? 1e-4 : 1e-5;
                assertTrue(error <= bound, plan + ": relative difference " + error);
                for (int i = 0; i < states; i++) {
                    if (expectedLse[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, gotLse[i], plan + " state " + i);
                    else assertEquals(expectedLse[i], gotLse[i], 1e-5 * Math.max(1, Math.abs(expectedLse[i])), plan + " state " + i);
                }
            }
        }
    }

    /** The attribution variants run to completion (their outputs are meaningless by design). Also the suite's smoke test. */
    @Test
    void attributionVariantsRun() {
        VqSpec spec = VqTestInputs.spec("vecinfer:k=d4b8,v=d4b8,r=64");
        KvLayout layout = new KvLayout(1, 2, 8, 128);
        Random random = new Random(System.nanoTime());
        FlatCodebooks flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, layout, random));
        VqCodeLayout keyLayout = VqCodeLayout.of(1, 1, 2, CAPACITY, flat.keySubspaces(), 8);
        VqCodeLayout valueLayout = VqCodeLayout.of(1, 1, 2, CAPACITY, flat.valueSubspaces(), 8);
        int[] sequences = {0}, positions = {CAPACITY - 1};
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             VqAttentionKernel kernel = new VqAttentionKernel(device);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes());
             DeviceBuffer qs = device.upload(TestData.gaussian(random, 8 * 128)); DeviceBuffer seq = device.upload(sequences);
             DeviceBuffer pos = device.upload(positions);
             DeviceBuffer o = device.allocate(4L * 8 * 128); DeviceBuffer lse = device.allocate(4L * 8)) {
            kc.write(keyLayout.pack(VqTestInputs.randomCodes(random, keyLayout.length(), 8)));
            vc.write(valueLayout.pack(VqTestInputs.randomCodes(random, valueLayout.length(), 8)));
            VqAttentionKernel.Plan plan = kernel.lutPlan(flat, 1, (int) ResidualWindow.compressedTokens(CAPACITY, WINDOW));
            for (int skip : new int[]{0, VqAttentionParams.SKIP_KEYS, VqAttentionParams.SKIP_VALUES, VqAttentionParams.SKIP_SOFTMAX,
                    VqAttentionParams.SKIP_STAGING, 15}) {
                kernel.launch(books, 0, plan, qs.from(0), 1, seq, pos, WINDOW, 0.088f, kc, keyLayout, vc, valueLayout, o, lse, skip);
                device.synchronize();
            }
        }
    }
}
