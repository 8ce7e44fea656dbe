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

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vq_attention (+ vq_query_table, merge_splits) against {@link VqAttentionKernel#reference} (skips without a GPU). */
class VqAttentionKernelGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2100;
    // (sequence, position): no compressed token yet, a few tiles, the whole code array, a middle one
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1}, ROW_POSITION = {10, 700, CAPACITY - 1, 1300};

    /**
     * Random codes, queries and codebooks; the device's own plan, a forced 3-way split, and the global-
     * table path one row per pass. The table and scores are bit-identical to the reference by
     * construction (explicit round-to-nearest operations in the same order), values accumulate by fmaf
     * as the reference's Math.fma; what remains is expf/logf against Java's exp/log (an ulp or two) and
     * the order of split merges, about 1e-7 relative. The fp16-table plans round the table as the reference
     * does (__float2half_rn, Half.fromFloat: both to nearest, ties to even), so the same bound holds. So o must agree within 1e-5 of its largest
     * magnitude and lse within 1e-5 (relative above 1); an indexing or softmax bug is off by O(1).
     */
    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8", "'vecinfer:k=d4b8,v=d4b8,r=64', 4", "'vecinfer:k=d8b12,v=d8b12,r=64', 8",
            "'vecinfer:k=d8b8,v=d8b8,r=64', 8", "'vecinfer:k=d8b12,v=d8b8,r=64,smooth=off', 14", "'rawvq:k=d4b8,v=d2b8,r=64', 8",
            "'vecinfer:k=d2b8,v=d1b8,r=64,hadamard=off,scope=head', 2"})
    void kernelMatchesTheReference(String text, int queryHeads) {
        Random random = new Random(text.hashCode() ^ queryHeads ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        KvLayout layout = new KvLayout(2, 2, queryHeads, 128);
        FlatCodebooks flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, layout, random));
        int layer = 1, rows = ROW_POSITION.length, states = rows * queryHeads, d = layout.headDim();
        // uint8 containers where the codes fit them (as the decoder's cache), uint16 otherwise
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
            VqAttentionKernel.Plan own = kernel.plan(flat, rows, maxCompressed, false);
            VqAttentionKernel.Plan half = kernel.plan(flat, rows, maxCompressed, true);
            VqAttentionKernel.Plan global = VqAttentionKernel.plan(flat, rows, maxCompressed, 132, 0);
            List<VqAttentionKernel.Plan> plans = List.of(own, half,
                    new VqAttentionKernel.Plan(3, 512, own.tableInShared(), own.sharedBytes(), own.rowsPerPass()),
                    new VqAttentionKernel.Plan(2, 768, false, global.sharedBytes(), 1),
                    new VqAttentionKernel.Plan(3, 512, false, global.sharedBytes(), 2, true));
            for (VqAttentionKernel.Plan plan : plans) {
                o.clear();
                kernel.launch(books, layer, plan, qs.from(0), rows, seq, pos, WINDOW, scale, kc, keyLayout, vc, valueLayout, o, lse);
                device.synchronize();
                float[] expectedO = new float[states * d], expectedLse = new float[states];
                VqAttentionKernel.reference(flat, layer, plan, q, rows, ROW_SEQUENCE, ROW_POSITION, WINDOW, scale, keyCodes, keyLayout,
                        valueCodes, valueLayout, expectedO, expectedLse);
                float[] gotO = o.readFloats(), gotLse = lse.readFloats();
                double error = TestData.relativeError(gotO, expectedO);
                assertTrue(error <= 1e-5, plan + ": relative difference " + error);
                for (int i = 0; i < states; i++) {
                    if (expectedLse[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, gotLse[i], plan + " state " + i);
                    else assertEquals(expectedLse[i], gotLse[i], 1e-5 * Math.max(1, Math.abs(expectedLse[i])), plan + " state " + i);
                }
            }
        }
    }
}
