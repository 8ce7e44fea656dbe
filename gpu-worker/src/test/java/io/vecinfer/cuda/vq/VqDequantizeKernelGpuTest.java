package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GPU: vq_dequantize (the non-fused ablation path's first half) against {@link VqDequantizeKernel#reference} on fresh
 * random codebooks (a book per (KV head, sub-space) drawn at random, so the book tables matter) and codes, two or three
 * sequences in one launch, positions that are not a multiple of the CTA's 64, uint8 and uint16 codes, mixed key and value
 * shapes, head_dim 64 and 128. The rings are poisoned with fp16 NaN first: the written rows must be bit-identical to the
 * reference (one fp16 rounding of an fp32 codeword entry) and the slots past the positions untouched.
 */
class VqDequantizeKernelGpuTest {
    private static final short POISON = (short) 0x7E00; // fp16 NaN

    @ParameterizedTest
    @CsvSource({"d4b8, d4b8, 128, 2, 1037", "d2b8, d8b8, 64, 3, 64", "d8b12, d4b8, 128, 2, 777", "d8b8, d2b8, 128, 2, 1", "d4b12, d8b12, 64, 2, 300"})
    void dequantizedRowsAreTheReferenceRows(String keyText, String valueText, int headDim, int sequences, int positions) {
        VqShape keys = shape(keyText), values = shape(valueText);
        int layers = 2, kvHeads = 3, layer = 1, capacity = positions + 50;
        KvLayout layout = new KvLayout(layers, kvHeads, kvHeads * 4, headDim);
        Random random = new Random(keyText.hashCode() * 31L + valueText.hashCode() ^ System.nanoTime());
        int keySub = keys.subspaces(headDim), valueSub = values.subspaces(headDim), books = 5;
        float[] keyWords = gaussian(random, books * keys.codewords() * keys.dims()), valueWords = gaussian(random, books * values.codewords() * values.dims());
        int[] keyBookOf = new int[layers * kvHeads * keySub], valueBookOf = new int[layers * kvHeads * valueSub];
        for (int i = 0; i < keyBookOf.length; i++) keyBookOf[i] = random.nextInt(books);
        for (int i = 0; i < valueBookOf.length; i++) valueBookOf[i] = random.nextInt(books);
        FlatCodebooks flat = new FlatCodebooks(layout, keys, values, keyWords, valueWords, keyBookOf, valueBookOf, null, false);
        VqCodeLayout keyLayout = VqCodeLayout.of(sequences, layers, kvHeads, capacity, keySub, keys.bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(sequences, layers, kvHeads, capacity, valueSub, values.bits());
        short[] keyCodes = codes(random, keyLayout, keys.bits()), valueCodes = codes(random, valueLayout, values.bits());
        KvLayout ringLayout = new KvLayout(layers, kvHeads, layout.queryHeads(), headDim);
        int ringShorts = capacity * kvHeads * headDim;
        short[][] gotKeys = new short[sequences][], gotValues = new short[sequences][];
        try (CudaDevice device = Gpu.device(); DeviceCodebooks deviceBooks = new DeviceCodebooks(device, flat);
             VqDequantizeKernel kernel = new VqDequantizeKernel(device);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes())) {
            kc.write(keyLayout.pack(keyCodes));
            vc.write(valueLayout.pack(valueCodes));
            List<Fp16KvRing> rings = new ArrayList<>();
            try {
                short[] poison = new short[ringShorts];
                Arrays.fill(poison, POISON);
                for (int s = 0; s < sequences; s++) {
                    Fp16KvRing ring = new Fp16KvRing(device, ringLayout, capacity);
                    rings.add(ring);
                    ring.keys(layer).write(poison);
                    ring.values(layer).write(poison);
                }
                kernel.launch(deviceBooks, layer, kc, keyLayout, vc, valueLayout, rings, positions);
                device.synchronize();
                for (int s = 0; s < sequences; s++) {
                    gotKeys[s] = rings.get(s).keys(layer).readShorts(0, ringShorts);
                    gotValues[s] = rings.get(s).values(layer).readShorts(0, ringShorts);
                }
            } finally {
                rings.forEach(Fp16KvRing::close);
            }
        }
        for (int s = 0; s < sequences; s++) {
            short[] keyRing = new short[ringShorts], valueRing = new short[ringShorts];
            Arrays.fill(keyRing, POISON);
            Arrays.fill(valueRing, POISON);
            VqDequantizeKernel.reference(flat, layer, keyCodes, keyLayout, valueCodes, valueLayout, s, positions, keyRing, valueRing);
            assertEquals(0, differences(keyRing, gotKeys[s]), keyText + "/" + valueText + ": sequence " + s + " key elements differ");
            assertEquals(0, differences(valueRing, gotValues[s]), keyText + "/" + valueText + ": sequence " + s + " value elements differ");
        }
    }

    private static VqShape shape(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("d(\\d+)b(\\d+)").matcher(text);
        if (!m.matches()) throw new IllegalArgumentException(text);
        return new VqShape(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    private static float[] gaussian(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    /** Random codes, some above the book (the kernels mask them to it). */
    private static short[] codes(Random random, VqCodeLayout layout, int bits) {
        short[] c = new short[Math.toIntExact(layout.length())];
        int limit = layout.codeBytes() == 1 ? 256 : 1 << 16;
        for (int i = 0; i < c.length; i++) c[i] = (short) random.nextInt(Math.max(limit, 1 << bits));
        return c;
    }

    private static int differences(short[] a, short[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) n++;
        return n;
    }
}
