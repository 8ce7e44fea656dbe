package io.vecinfer.cuda.kivi;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: kivi_encode and kivi_attention against their references on fresh random inputs (skips without a GPU), GQA 7:1,
 * head_dim 64 and 128. Encode: three blocks read from a ring that wraps inside a block, written over poisoned arrays;
 * codes and parameters must be bit-identical to the reference (the same rounded operations: fp16 rounding, division,
 * half-up rounding), and nothing outside those positions written. Attention: outputs poisoned with NaN, queries before
 * the first block (no encoded token: 0 and lse -inf) and across several blocks; within 1e-4 of the reference (the same
 * fp32 terms; the kernel's online max and tile order change only rounding).
 */
class KiviKernelsGpuTest {
    private static final byte CODE_POISON = (byte) 0xAB;

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "kivi:k=b2g32,v=b2g32,r=32; 64", "kivi:k=b4g24,v=b2g48,r=32; 128", "kivi:k=b8g128,v=b3g16,r=32; 128", "kivi:k=b1g8,v=b4g128,r=16; 64"})
    void encodeWritesTheReferenceCodesAndParameters(String text, int headDim) {
        KiviSpec spec = (KiviSpec) MethodSpec.parse(text);
        KvLayout layout = new KvLayout(2, 2, 14, headDim);
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        int r = spec.window(), ringCapacity = 5 * r + 7, from = 4 * r, to = 7 * r, layer = 1; // slots wrap inside block 5
        short[] kRing = fp16(random, ringCapacity * layout.tokenWidth(), 6f), vRing = fp16(random, ringCapacity * layout.tokenWidth(), 1f);
        KiviLayout l = KiviLayout.of(spec, layout, 9 * r);
        byte[] keyCodes = poisonedCodes(l), valueCodes = poisonedCodes(l);
        float[] keyParams = nan(l.keyParamFloats()), valueParams = nan(l.valueParamFloats());
        byte[] gpuKeyCodes, gpuValueCodes;
        float[] gpuKeyParams, gpuValueParams;
        try (CudaDevice device = Gpu.device();
             DeviceBuffer k = device.allocate(2L * kRing.length); DeviceBuffer v = device.allocate(2L * vRing.length);
             DeviceBuffer kc = device.allocate(l.codeBytes()); DeviceBuffer vc = device.allocate(l.codeBytes());
             DeviceBuffer kp = device.upload(keyParams); DeviceBuffer vp = device.upload(valueParams)) {
            k.write(kRing);
            v.write(vRing);
            kc.write(ByteBuffer.allocateDirect((int) l.codeBytes()).put(Arrays.copyOf(keyCodes, (int) l.codeBytes())).flip());
            vc.write(ByteBuffer.allocateDirect((int) l.codeBytes()).put(Arrays.copyOf(valueCodes, (int) l.codeBytes())).flip());
            new KiviEncodeKernel(device).launch(k, v, ringCapacity, layer, from, to, new KiviEncodeKernel.Storage(l, kc, vc, kp, vp));
            device.synchronize();
            gpuKeyCodes = bytes(kc, l);
            gpuValueCodes = bytes(vc, l);
            gpuKeyParams = kp.readFloats(0, keyParams.length);
            gpuValueParams = vp.readFloats(0, valueParams.length);
        }
        KiviEncodeKernel.reference(kRing, vRing, ringCapacity, layer, from, to, l, keyCodes, valueCodes, keyParams, valueParams);
        assertTrue(Arrays.equals(keyCodes, gpuKeyCodes), text + ": key codes (" + differences(keyCodes, gpuKeyCodes) + " differ)");
        assertTrue(Arrays.equals(valueCodes, gpuValueCodes), text + ": value codes (" + differences(valueCodes, gpuValueCodes) + " differ)");
        assertBitsEqual(keyParams, gpuKeyParams, text + ": key parameters");
        assertBitsEqual(valueParams, gpuValueParams, text + ": value parameters");
        int touched = 0;
        for (byte c : gpuKeyCodes) if (c != CODE_POISON) touched++;
        assertTrue(touched > 0 && touched <= (to - from) * layout.kvHeads() * headDim, text + ": key codes written " + touched);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "kivi:k=b2g32,v=b2g32,r=32; 64; 150; 70", "kivi:k=b4g24,v=b2g48,r=32; 128; 0; 70", "kivi:k=b2g128,v=b2g128,r=32; 128; 250; 1",
            "kivi:k=b1g8,v=b4g128,r=16; 64; 3; 200"})
    void attentionMatchesTheReference(String text, int headDim, int start, int tokens) {
        KiviSpec spec = (KiviSpec) MethodSpec.parse(text);
        KvLayout layout = new KvLayout(2, 2, 14, headDim);
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        int r = spec.window(), layer = 1, heads = layout.queryHeads();
        int encoded = (int) io.vecinfer.quant.ResidualWindow.compressedTokens((long) start + tokens, r), positions = Math.max(r, encoded);
        short[] kRing = fp16(random, positions * layout.tokenWidth(), 6f), vRing = fp16(random, positions * layout.tokenWidth(), 1f);
        KiviLayout l = KiviLayout.of(spec, layout, positions + r);
        byte[] keyCodes = poisonedCodes(l), valueCodes = poisonedCodes(l);
        float[] keyParams = new float[(int) l.keyParamFloats()], valueParams = new float[(int) l.valueParamFloats()];
        KiviEncodeKernel.reference(kRing, vRing, positions, layer, 0, encoded, l, keyCodes, valueCodes, keyParams, valueParams);
        float[] q = new float[tokens * heads * headDim];
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] out = new float[q.length], lse = new float[tokens * heads];
        float[] expectedOut = new float[q.length], expectedLse = new float[lse.length];
        try (CudaDevice device = Gpu.device();
             DeviceBuffer kc = device.allocate(l.codeBytes()); DeviceBuffer vc = device.allocate(l.codeBytes());
             DeviceBuffer kp = device.upload(keyParams); DeviceBuffer vp = device.upload(valueParams); DeviceBuffer qs = device.upload(q);
             DeviceBuffer o = device.upload(nan(out.length)); DeviceBuffer ls = device.upload(nan(lse.length))) {
            kc.write(ByteBuffer.allocateDirect((int) l.codeBytes()).put(Arrays.copyOf(keyCodes, (int) l.codeBytes())).flip());
            vc.write(ByteBuffer.allocateDirect((int) l.codeBytes()).put(Arrays.copyOf(valueCodes, (int) l.codeBytes())).flip());
            new KiviAttentionKernel(device).launch(new KiviEncodeKernel.Storage(l, kc, vc, kp, vp), layer, qs.from(0), start, tokens, heads, scale, o, ls);
            device.synchronize();
            out = o.readFloats(0, out.length);
            lse = ls.readFloats(0, lse.length);
        }
        KiviAttentionKernel.reference(l, keyCodes, valueCodes, keyParams, valueParams, layer, q, start, tokens, heads, scale, expectedOut, expectedLse);
        for (int i = 0; i < out.length; i++) {
            assertEquals(expectedOut[i], out[i], 1e-4 * Math.max(1, Math.abs(expectedOut[i])), text + ": output " + i); // NaN never passes
        }
        for (int i = 0; i < lse.length; i++) {
            if (expectedLse[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, lse[i], text + ": lse " + i + " (no encoded token)");
            else assertEquals(expectedLse[i], lse[i], 1e-4 * Math.max(1, Math.abs(expectedLse[i])), text + ": lse " + i);
        }
    }

    private static short[] fp16(Random random, int count, float outlierScale) {
        short[] x = new short[count];
        for (int i = 0; i < count; i++) x[i] = Half.fromFloat((float) random.nextGaussian() * (i % 37 == 5 ? outlierScale : 1f));
        return x;
    }

    private static byte[] poisonedCodes(KiviLayout l) {
        byte[] codes = new byte[(int) l.codes()];
        Arrays.fill(codes, CODE_POISON);
        return codes;
    }

    private static float[] nan(long count) {
        float[] x = new float[Math.toIntExact(count)];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** A code array read back: readInts of the padded bytes, little-endian, cut to the codes. */
    private static byte[] bytes(DeviceBuffer buffer, KiviLayout l) {
        int[] words = buffer.readInts(0, (int) (l.codeBytes() / 4));
        ByteBuffer b = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(words);
        return Arrays.copyOf(b.array(), (int) l.codes());
    }

    private static int differences(byte[] a, byte[] b) {
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
