package io.vecinfer.cuda.kivi;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: kivi_encode and the split-KV kivi_attention against their references on fresh random inputs (skips without a
 * GPU). Encode: three blocks read from a ring that wraps inside a block, written over poisoned arrays; packed codes and
 * parameters must be bit-identical to the reference (the same rounded operations: fp16 rounding, division, half-up
 * rounding, the same packing), and nothing outside those positions written. Attention: outputs poisoned with NaN; GQA
 * 4:1 and 7:1, head_dim 64 and 128, one to three sequences in one launch; queries before the first block (no encoded
 * token: 0 and lse -inf), prefill-like runs of tokens across several blocks, and decode tokens at contexts up to 32k
 * (many splits, merged by merge_splits), lengths that are not multiples of the tile or the key group, value groups that
 * do not divide the kernel's channel units; within 1e-4 of the reference (the same fp32 terms in another order).
 */
class KiviKernelsGpuTest {
    private static final int CODE_POISON = 0xABABABAB;

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "kivi:k=b2g32,v=b2g32,r=32; 64", "kivi:k=b4g24,v=b2g48,r=32; 128", "kivi:k=b8g128,v=b3g16,r=32; 128", "kivi:k=b1g8,v=b4g128,r=16; 64",
            "kivi:k=b3g5,v=b1g6,r=8; 64"})
    void encodeWritesTheReferenceCodesAndParameters(String text, int headDim) {
        KiviSpec spec = (KiviSpec) MethodSpec.parse(text);
        KvLayout layout = new KvLayout(2, 2, 14, headDim);
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        int r = spec.window(), ringCapacity = 5 * r + 7, from = 4 * r, to = 7 * r, layer = 1; // slots wrap inside block 5
        short[] kRing = fp16(random, ringCapacity * layout.tokenWidth(), 6f), vRing = fp16(random, ringCapacity * layout.tokenWidth(), 1f);
        KiviLayout l = KiviLayout.of(spec, layout, 9 * r);
        int[] keyCodes = poisoned(l.keyCodeWords()), valueCodes = poisoned(l.valueCodeWords());
        float[] keyParams = nan(l.keyParamFloats()), valueParams = nan(l.valueParamFloats());
        int[] gpuKeyCodes, gpuValueCodes;
        float[] gpuKeyParams, gpuValueParams;
        try (CudaDevice device = Gpu.device();
             DeviceBuffer k = device.allocate(2L * kRing.length); DeviceBuffer v = device.allocate(2L * vRing.length);
             DeviceBuffer kc = device.upload(keyCodes); DeviceBuffer vc = device.upload(valueCodes);
             DeviceBuffer kp = device.upload(keyParams); DeviceBuffer vp = device.upload(valueParams)) {
            k.write(kRing);
            v.write(vRing);
            new KiviEncodeKernel(device).launch(k, v, ringCapacity, layer, from, to, new KiviEncodeKernel.Storage(l, kc, vc, kp, vp));
            device.synchronize();
            gpuKeyCodes = kc.readInts(0, keyCodes.length);
            gpuValueCodes = vc.readInts(0, valueCodes.length);
            gpuKeyParams = kp.readFloats(0, keyParams.length);
            gpuValueParams = vp.readFloats(0, valueParams.length);
        }
        KiviEncodeKernel.reference(kRing, vRing, ringCapacity, layer, from, to, l, keyCodes, valueCodes, keyParams, valueParams);
        assertTrue(Arrays.equals(keyCodes, gpuKeyCodes), text + ": key codes (" + differences(keyCodes, gpuKeyCodes) + " words differ)");
        assertTrue(Arrays.equals(valueCodes, gpuValueCodes), text + ": value codes (" + differences(valueCodes, gpuValueCodes) + " words differ)");
        assertBitsEqual(keyParams, gpuKeyParams, text + ": key parameters");
        assertBitsEqual(valueParams, gpuValueParams, text + ": value parameters");
        int touched = 0;
        for (int c : gpuKeyCodes) if (c != CODE_POISON) touched++;
        assertTrue(touched > 0 && touched <= (to - from) * layout.kvHeads() * l.keyWords(), text + ": key code words written " + touched);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            // spec; head_dim; query heads per KV head; sequences; start; tokens
            "kivi:k=b2g32,v=b2g32,r=32; 64; 4; 1; 150; 70",
            "kivi:k=b4g24,v=b2g48,r=32; 128; 7; 1; 0; 70",
            "kivi:k=b2g128,v=b2g128,r=128; 128; 4; 1; 32767; 1",
            "kivi:k=b2g128,v=b2g128,r=128; 64; 7; 1; 20001; 1",
            "kivi:k=b2g128,v=b2g128,r=128; 128; 4; 3; 5000; 1",
            "kivi:k=b1g8,v=b4g128,r=16; 64; 7; 2; 3; 200",
            "kivi:k=b8g128,v=b3g16,r=32; 128; 7; 1; 9000; 2",
            "kivi:k=b3g5,v=b2g6,r=8; 64; 4; 1; 700; 3",
            "kivi:k=b1g128,v=b1g128,r=128; 128; 16; 1; 3000; 1"})
    void splitAttentionMatchesTheReference(String text, int headDim, int group, int sequences, int start, int tokens) {
        KiviSpec spec = (KiviSpec) MethodSpec.parse(text);
        int kvHeads = 2, heads = group * kvHeads, layers = 2, layer = 1;
        KvLayout layout = new KvLayout(1, kvHeads, heads, headDim);
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        int r = spec.window();
        int encoded = (int) ResidualWindow.compressedTokens((long) start + tokens, r), positions = Math.max(r, encoded);
        KiviLayout one = KiviLayout.of(spec, layout, positions + r);
        KiviLayout l = new KiviLayout(sequences * layers, kvHeads, headDim, one.capacity(), r, one.keyGroup(), one.valueGroup(), one.keyBits(),
                one.valueBits());
        int[] keyCodes = poisoned(l.keyCodeWords()), valueCodes = poisoned(l.valueCodeWords());
        float[] keyParams = new float[(int) l.keyParamFloats()], valueParams = new float[(int) l.valueParamFloats()];
        for (int s = 0; s < sequences; s++) { // each sequence its own keys and values, in its layer slots
            short[] kRing = fp16(random, positions * kvHeads * headDim, 6f), vRing = fp16(random, positions * kvHeads * headDim, 1f);
            KiviEncodeKernel.reference(kRing, vRing, positions, s * layers + layer, 0, encoded, l, keyCodes, valueCodes, keyParams, valueParams);
        }
        int rowFloats = tokens * heads * headDim;
        float[] q = new float[sequences * rowFloats];
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] out, lse;
        KiviAttentionKernel.Plan plan;
        try (CudaDevice device = Gpu.device(); KiviAttentionKernel kernel = new KiviAttentionKernel(device);
             DeviceBuffer kc = device.upload(keyCodes); DeviceBuffer vc = device.upload(valueCodes);
             DeviceBuffer kp = device.upload(keyParams); DeviceBuffer vp = device.upload(valueParams); DeviceBuffer qs = device.upload(q);
             DeviceBuffer o = device.upload(nan(q.length)); DeviceBuffer ls = device.upload(nan((long) sequences * tokens * heads))) {
            plan = KiviAttentionKernel.plan(l, heads, sequences * tokens, encoded, device.multiprocessorCount());
            kernel.launch(new KiviEncodeKernel.Storage(l, kc, vc, kp, vp), layer, layers, sequences, qs.from(0), start, tokens, heads, scale, o, ls);
            device.synchronize();
            out = o.readFloats(0, q.length);
            lse = ls.readFloats(0, sequences * tokens * heads);
        }
        if (encoded >= 20000) assertTrue(plan.splits() > 1, text + ": a long context takes several splits (" + plan + ")");
        for (int s = 0; s < sequences; s++) {
            float[] expectedOut = new float[rowFloats], expectedLse = new float[tokens * heads];
            KiviAttentionKernel.reference(l, keyCodes, valueCodes, keyParams, valueParams, s * layers + layer,
                    Arrays.copyOfRange(q, s * rowFloats, (s + 1) * rowFloats), start, tokens, heads, scale, expectedOut, expectedLse);
            String what = text + " (" + plan + "), sequence " + s;
            for (int i = 0; i < rowFloats; i++) {
                float actual = out[s * rowFloats + i]; // NaN never passes
                assertEquals(expectedOut[i], actual, 1e-4 * Math.max(1, Math.abs(expectedOut[i])), what + ": output " + i);
            }
            for (int i = 0; i < expectedLse.length; i++) {
                float actual = lse[s * tokens * heads + i];
                if (expectedLse[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, actual, what + ": lse " + i + " (no encoded token)");
                else assertEquals(expectedLse[i], actual, 1e-4 * Math.max(1, Math.abs(expectedLse[i])), what + ": lse " + i);
            }
        }
    }

    private static short[] fp16(Random random, int count, float outlierScale) {
        short[] x = new short[count];
        for (int i = 0; i < count; i++) x[i] = Half.fromFloat((float) random.nextGaussian() * (i % 37 == 5 ? outlierScale : 1f));
        return x;
    }

    private static int[] poisoned(long words) {
        int[] codes = new int[Math.toIntExact(words)];
        Arrays.fill(codes, CODE_POISON);
        return codes;
    }

    private static float[] nan(long count) {
        float[] x = new float[Math.toIntExact(count)];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    private static int differences(int[] a, int[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) n++;
        return n;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        int n = 0, first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (first < 0) first = i;
                n++;
            }
        }
        int at = Math.max(first, 0);
        assertEquals(0, n, what + ": " + n + " differ, first at " + first + " (" + expected[at] + " vs " + actual[at] + ")");
    }
}
