package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;
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
 * vq_mma_attention with wide d8 books (variant MMA_WIDE: d8b12 and its mixed pairs) against {@link VqMmaAttention#reference}
 * on fresh random inputs (skips without a GPU). Self-contained on purpose (the MMA and LUT GPU tests' shared setup is being
 * refactored): rows of different lengths, none a multiple of the 512- or 256-token tile nor of a 16-token m-tile, one with no
 * compressed token yet; the planner's plan, 3 splits of 736 tokens, and 256-thread blocks; GQA 4:1, 7:1, 8:1 and 1:1;
 * head_dim 128 and 64; 12-bit codes with random top nibbles in their uint16 containers (the kernel masks to 12 bits, the
 * reference to the book); a 10-bit book (zeros past 1024 entries); outputs poisoned with NaN first. Bound as the MMA test's
 * (the same mathematics, VqMmaAttention.reference): |o − o_ref| ≤ 2^-10 · max|v'|, lse within 1e-4 · max(1, |lse|).
 */
class VqMmaWideAttentionGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2112; // capacity × 8 sub-spaces × 2 bytes a multiple of 16 bytes
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1, 0}, ROW_POSITION = {10, 700, CAPACITY - 1, 1301, 1663};

    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d8b12,v=d8b12,r=64', 8, 128", "'vecinfer:k=d8b12,v=d8b8,r=64', 14, 128", "'vecinfer:k=d8b12,v=d4b8,r=64', 16, 128",
            "'vecinfer:k=d4b8,v=d8b12,r=64,scope=head', 2, 128", "'vecinfer:k=d8b8,v=d8b12,r=64', 8, 64",
            "'vecinfer:k=d8b12,v=d8b12,r=64,hadamard=off,smooth=off', 14, 64", "'vecinfer:k=d8b10,v=d8b12,r=64', 8, 128",
            "'vecinfer:k=d8b12,v=d8b8,r=64,scope=head', 8, 64"})
    void matchesTheReference(String text, int queryHeads, int headDim) {
        Random random = new Random(text.hashCode() ^ queryHeads ^ System.nanoTime());
        VqSpec spec = (VqSpec) io.vecinfer.quant.MethodSpec.parse(text);
        KvLayout layout = new KvLayout(2, 2, queryHeads, headDim);
        FlatCodebooks flat = FlatCodebooks.of(io.vecinfer.quant.vq.RandomCodebooks.of(spec, layout, random));
        int layer = 1, rows = ROW_POSITION.length, states = rows * queryHeads, d = layout.headDim();
        VqCodeLayout keyLayout = VqCodeLayout.of(3, layout.layers(), layout.kvHeads(), CAPACITY, flat.keySubspaces(), spec.keys().bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(3, layout.layers(), layout.kvHeads(), CAPACITY, flat.valueSubspaces(), spec.values().bits());
        short[] keyCodes = codes(random, keyLayout.length(), spec.keys().bits());
        short[] valueCodes = codes(random, valueLayout.length(), spec.values().bits());
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
            assertEquals(VqAttentionKernel.Variant.MMA_WIDE, own.variant(), own.toString());
            List<VqAttentionKernel.Plan> plans = new ArrayList<>(List.of(own, own.withSplits(3, 736)));
            plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, rows, true, VqAttentionKernel.Variant.MMA_WIDE, 256));
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

    /**
     * Uniform codes below 2^bits in uint16 containers; for 12-bit codes a random top nibble too, which both the kernel (12-bit
     * mask) and the reference (mask of the 4096-word book) ignore, so a kernel reading past bit 11 fails.
     */
    static short[] codes(Random random, long length, int bits) {
        short[] codes = new short[Math.toIntExact(length)];
        for (int i = 0; i < codes.length; i++) codes[i] = (short) (random.nextInt(1 << bits) | (bits == 12 ? random.nextInt(16) << 12 : 0));
        return codes;
    }
}
