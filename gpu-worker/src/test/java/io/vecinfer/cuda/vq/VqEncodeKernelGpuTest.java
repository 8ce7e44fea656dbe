package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vq_encode against {@link VqEncodeKernel#reference} on fresh random rings and codebooks (skips without a GPU). */
class VqEncodeKernelGpuTest {
    private static final KvLayout LAYOUT = new KvLayout(3, 2, 8, 128);

    /**
     * At least 99.9% of the codes identical (distances are computed with the same rounded operations in
     * the same order, so all of them should be; a near-tie may flip if the compiler ever reorders), and
     * nothing written outside positions [from, to) of (sequence, layer).
     */
    @ParameterizedTest
    @ValueSource(strings = {"vecinfer:k=d4b8,v=d4b8,r=64", "vecinfer:k=d8b12,v=d8b12,r=64", "vecinfer:k=d8b12,v=d8b8,r=64,smooth=off,scope=head",
            "vecinfer:k=d2b8,v=d4b8,r=64,hadamard=off", "rawvq:k=d4b8,v=d8b8,r=64"})
    void kernelCodesAreTheReferenceCodes(String text) {
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        FlatCodebooks flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, LAYOUT, random));
        int ring = 64, from = 100, to = 164, sequence = 1, layer = 2; // slots 36..63 then 0..35: the ring wraps
        short[] kRing = VqTestInputs.fp16Keys(random, ring, LAYOUT), vRing = VqTestInputs.fp16Values(random, ring, LAYOUT);
        VqCodeLayout keyLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), 200, flat.keySubspaces());
        VqCodeLayout valueLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), 200, flat.valueSubspaces());
        short sentinel = (short) 0xBEEF;
        short[] keyCodes = new short[(int) keyLayout.length()], valueCodes = new short[(int) valueLayout.length()];
        Arrays.fill(keyCodes, sentinel);
        Arrays.fill(valueCodes, sentinel);
        short[] gpuKeys, gpuValues;
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             DeviceBuffer k = device.allocate(2L * kRing.length); DeviceBuffer v = device.allocate(2L * vRing.length);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes())) {
            k.write(kRing);
            v.write(vRing);
            kc.write(keyCodes);
            vc.write(valueCodes);
            new VqEncodeKernel(device).launch(books, k, v, ring, sequence, layer, from, to, kc, keyLayout, vc, valueLayout);
            device.synchronize();
            gpuKeys = kc.readShorts(0, keyCodes.length);
            gpuValues = vc.readShorts(0, valueCodes.length);
        }
        VqEncodeKernel.reference(flat, kRing, vRing, ring, sequence, layer, from, to, keyCodes, keyLayout, valueCodes, valueLayout);
        int written = 0, same = 0;
        for (short[][] side : new short[][][]{{keyCodes, gpuKeys}, {valueCodes, gpuValues}}) {
            for (int i = 0; i < side[0].length; i++) {
                if (side[0][i] == sentinel) {
                    assertEquals(sentinel, side[1][i], "code " + i + " written outside [from, to)");
                } else {
                    written++;
                    if (side[0][i] == side[1][i]) same++;
                }
            }
        }
        assertEquals((to - from) * LAYOUT.kvHeads() * (flat.keySubspaces() + flat.valueSubspaces()), written);
        assertTrue(same >= 0.999 * written, (written - same) + " of " + written + " codes differ");
    }
}
