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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vq_mma_attention against {@link VqMmaAttention#reference} on fresh random inputs (skips without a GPU): rows of
 * different lengths, none a multiple of the 512- or 256-token tile nor of a 16-token m-tile, one with no compressed token
 * yet; the planner's plan, 3 splits of 736 tokens (chunks of warp tiles), and 256-thread blocks; GQA 8:1, 4:1, 7:1 and
 * 1:1; head_dim 128 and 64; outputs poisoned with NaN first. Bound (VqMmaAttention.reference): per output
 * |o − o_ref| ≤ 2^-10 · max|v'| (twice the fp16 weight rounding; n · 2^-25 ≤ 7e-5 at these lengths), lse within
 * 1e-4 · max(1, |lse|). An indexing, fragment-layout or softmax bug is off by O(1).
 */
class VqMmaAttentionGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2112; // capacity × 8 sub-spaces a multiple of 16 bytes
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1, 0}, ROW_POSITION = {10, 700, CAPACITY - 1, 1301, 1663};

    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 128", "'vecinfer:k=d8b8,v=d8b8,r=64', 8, 128", "'vecinfer:k=d2b8,v=d2b8,r=64', 8, 128",
            "'vecinfer:k=d4b8,v=d4b8,r=64', 16, 128", "'vecinfer:k=d8b8,v=d4b8,r=64', 14, 128", "'vecinfer:k=d4b8,v=d2b8,r=64,scope=head', 2, 128",
            "'vecinfer:k=d4b8,v=d8b8,r=64,hadamard=off,smooth=off', 6, 128", "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 64",
            "'vecinfer:k=d8b8,v=d2b8,r=64', 16, 64", "'vecinfer:k=d2b6,v=d4b7,r=64', 8, 128"})
    void matchesTheReference(String text, int queryHeads, int headDim) {
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
        float[] expectedO = new float[states * d], expectedLse = new float[states];
        VqMmaAttention.reference(flat, layer, q, rows, ROW_SEQUENCE, ROW_POSITION, WINDOW, scale, keyCodes, keyLayout, valueCodes, valueLayout,
                expectedO, expectedLse);
        double valueScale = 0;
        for (int h = 0; h < layout.kvHeads(); h++) valueScale = Math.max(valueScale, VqMmaAttention.valueScale(flat, layer, h));
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             VqAttentionKernel kernel = new VqAttentionKernel(device);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes());
             DeviceBuffer qs = device.upload(q); DeviceBuffer seq = device.upload(ROW_SEQUENCE); DeviceBuffer pos = device.upload(ROW_POSITION);
             DeviceBuffer o = device.allocate(4L * states * d); DeviceBuffer lse = device.allocate(4L * states)) {
            kc.write(keyLayout.pack(keyCodes));
            vc.write(valueLayout.pack(valueCodes));
            VqAttentionKernel.Plan own = kernel.mmaPlan(flat, rows, maxCompressed);
            assertNotNull(own, "the MMA kernel serves " + text);
            List<VqAttentionKernel.Plan> plans = new ArrayList<>(List.of(own, own.withSplits(3, 736)));
            plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, rows, true, VqAttentionKernel.Variant.MMA, 256));
            for (VqAttentionKernel.Plan plan : plans) {
                float[] nan = new float[states * d];
                Arrays.fill(nan, Float.NaN);
                o.write(nan);
                lse.write(Arrays.copyOf(nan, states));
                kernel.launch(books, layer, plan, qs.from(0), rows, seq, pos, WINDOW, scale, kc, keyLayout, vc, valueLayout, o, lse);
                device.synchronize();
                float[] gotO = o.readFloats(), gotLse = lse.readFloats();
                double worst = 0;
                for (int i = 0; i < gotO.length; i++) {
                    assertTrue(Float.isFinite(gotO[i]), plan + ": a non-finite output at " + i);
                    worst = Math.max(worst, Math.abs(gotO[i] - expectedO[i]));
                }
                System.out.printf("%s heads %d d %d %s: max |o - ref| %.2e of max|v'| %.2f%n", text, queryHeads, headDim, plan, worst, valueScale);
                assertTrue(worst <= Math.scalb(valueScale, -10), plan + ": max |o - ref| " + worst + " > 2^-10 · " + valueScale);
                for (int i = 0; i < states; i++) {
                    if (expectedLse[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, gotLse[i], plan + " state " + i);
                    else assertEquals(expectedLse[i], gotLse[i], 1e-4 * Math.max(1, Math.abs(expectedLse[i])), plan + " state " + i);
                }
            }
        }
    }

    /** The attribution variants run to completion (their outputs are meaningless by design). */
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
            VqAttentionKernel.Plan plan = kernel.mmaPlan(flat, 1, (int) ResidualWindow.compressedTokens(CAPACITY, WINDOW));
            for (int skip : new int[]{0, VqAttentionParams.SKIP_KEYS, VqAttentionParams.SKIP_VALUES, VqAttentionParams.SKIP_SOFTMAX,
                    VqAttentionParams.SKIP_STAGING, 15}) {
                kernel.launch(books, 0, plan, qs.from(0), 1, seq, pos, WINDOW, 0.088f, kc, keyLayout, vc, valueLayout, o, lse, skip);
                device.synchronize();
            }
        }
    }
}
