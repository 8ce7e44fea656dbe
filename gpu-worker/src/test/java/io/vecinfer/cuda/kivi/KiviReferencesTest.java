package io.vecinfer.cuda.kivi;

import io.vecinfer.cuda.attention.WindowAttention;
import io.vecinfer.cuda.vq.MergeStatesKernel;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.kivi.KiviKvCache;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPU: the device KIVI path's references against the CPU oracle. Tokens appended one by one to {@link KiviKvCache};
 * the same fp16 keys and values in a ring, encoded by {@link KiviEncodeKernel#reference}, attended by
 * {@link KiviAttentionKernel#reference} over [0, c(p)) and by {@link WindowAttention#attendReference} over the window,
 * merged by {@link MergeStatesKernel#reference}: the CPU cache's attention at every checked position (before the first
 * flush, at block edges, later), within 1e-5 (both sum the same fp32 terms, in different orders), and its stored bytes.
 * Shapes: groups dividing R and not (a shorter last group), value groups not dividing head_dim, key groups above R,
 * GQA 7:1, head_dim 64 and 128.
 */
class KiviReferencesTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "kivi:k=b2g32,v=b2g32,r=32; 64; 200",
            "kivi:k=b4g24,v=b2g48,r=32; 64; 170",
            "kivi:k=b8g128,v=b3g16,r=32; 128; 130",
            "kivi:k=b1g8,v=b1g128,r=16; 128; 90"})
    void theDeviceReferencesAttendAsTheCpuCache(String text, int headDim, int tokens) {
        KiviSpec spec = (KiviSpec) MethodSpec.parse(text);
        KvLayout layout = new KvLayout(2, 2, 14, headDim);
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        int width = layout.tokenWidth(), r = spec.window(), layer = 1, heads = layout.queryHeads();
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] k = new float[tokens * width], v = new float[tokens * width], q = new float[tokens * heads * headDim];
        for (int i = 0; i < k.length; i++) {
            int channel = i % headDim;
            k[i] = (float) random.nextGaussian() * (channel == 3 || channel == 40 ? 8f : 1f); // key outlier channels
            v[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();

        // The oracle, token by token; the checked positions' outputs of layer 1.
        KiviKvCache cpu = new KiviKvCache(spec, layout);
        float[][] expected = new float[tokens][];
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < layout.layers(); l++) cpu.append(l, k, t * width, v, t * width);
            if (checked(t, r, tokens)) {
                expected[t] = new float[heads * headDim];
                cpu.attend(layer, q, t * heads * headDim, scale, expected[t], 0);
            }
        }

        // The device path's references: a ring holding every token (slot = position), encoded once.
        short[] kRing = new short[k.length], vRing = new short[v.length];
        for (int i = 0; i < k.length; i++) {
            kRing[i] = Half.fromFloat(k[i]);
            vRing[i] = Half.fromFloat(v[i]);
        }
        int encoded = (int) ResidualWindow.compressedTokens(tokens, r);
        KiviLayout l = KiviLayout.of(spec, layout, (encoded + r - 1) / r * r + r);
        int[] keyCodes = new int[(int) l.keyCodeWords()], valueCodes = new int[(int) l.valueCodeWords()];
        float[] keyParams = new float[(int) l.keyParamFloats()], valueParams = new float[(int) l.valueParamFloats()];
        KiviEncodeKernel.reference(kRing, vRing, tokens, layer, 0, encoded, l, keyCodes, valueCodes, keyParams, valueParams);
        int states = heads;
        for (int t = 0; t < tokens; t++) {
            if (expected[t] == null) continue;
            float[] qt = java.util.Arrays.copyOfRange(q, t * heads * headDim, (t + 1) * heads * headDim);
            float[] o1 = new float[states * headDim], lse1 = new float[states], o2 = new float[states * headDim], lse2 = new float[states];
            KiviAttentionKernel.reference(l, keyCodes, valueCodes, keyParams, valueParams, layer, qt, t, 1, heads, scale, o1, lse1);
            WindowAttention.attendReference(qt, kRing, vRing, layout, tokens, r, t, 1, scale, o2, lse2);
            float[] o = new float[states * headDim], lse = new float[states];
            MergeStatesKernel.reference(o1, lse1, o2, lse2, states, headDim, o, lse);
            for (int i = 0; i < o.length; i++) {
                assertEquals(expected[t][i], o[i], 1e-5 * Math.max(1, Math.abs(expected[t][i])), text + ": position " + t + " element " + i);
            }
        }
        long windowBytes = (long) (tokens - encoded) * width * 2 * 2 * layout.layers();
        assertEquals(cpu.storedBytes(), layout.layers() * l.storedBytes(encoded) + windowBytes, text + ": stored bytes");
        assertTrue(encoded >= 2 * r, text + ": the case encodes at least two blocks");
    }

    /** The Java mirrors of the two parameter structs have their C sizes (the .cu files static_assert 104 and 120). */
    @org.junit.jupiter.api.Test
    void theParameterMirrorsHaveTheStructSizes() {
        KiviLayout l = new KiviLayout(2, 8, 128, 256, 128, 32, 32, 2, 2);
        var storage = new KiviEncodeKernel.Storage(l, null, null, null, null);
        assertEquals(104, KiviEncodeKernel.params(null, null, storage, 512, 1, 0).size());
        var plan = KiviAttentionKernel.plan(l, 32, 1, 256, 132);
        assertEquals(120, KiviAttentionKernel.params(storage, 1, 2, null, null, null, 0, 1, 32, plan, 0.1f).size());
    }

    /** Positions before the first flush, on both sides of each block edge, and the last. */
    private static boolean checked(int t, int r, int tokens) {
        return t < 3 || t % r == 0 || t % r == r - 1 || t == 2 * r || t == tokens - 1;
    }
}
