package io.vecinfer.quant.vq;

import io.vecinfer.quant.TestData;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyTransformTest {
    private static final int D = 128, TOKENS = 64;

    @Test
    void transformedScoresEqualOriginalScores() {
        Random random = new Random(5);
        float[] keys = TestData.withOutlierChannels(TestData.gaussian(random, TOKENS * D), D, new int[]{3, 77}, 40f);
        KeyTransform t = new KeyTransform(D, SmoothFactors.fit(keys, TOKENS, D), true);
        float[] qt = new float[D], kt = new float[D];
        double worst = 0;
        for (int trial = 0; trial < 8; trial++) {
            float[] q = TestData.gaussian(random, D);
            t.query(q, 0, qt);
            for (int j = 0; j < TOKENS; j++) {
                t.key(keys, j * D, kt);
                double exact = 0, transformed = 0, magnitude = 0;
                for (int i = 0; i < D; i++) {
                    exact += (double) q[i] * keys[j * D + i];
                    transformed += qt[i] * kt[i];
                    magnitude += Math.abs((double) q[i] * keys[j * D + i]);
                }
                // fp32 rounding of a length-128 dot product and two transforms: a few ulps of Σ|q_i K_i|.
                worst = Math.max(worst, Math.abs(transformed - exact) / magnitude);
            }
        }
        assertTrue(worst < 1e-5, "relative error " + worst);
    }

    @Test
    void smoothingEvensOutOutlierChannels() {
        Random random = new Random(6);
        float[] keys = TestData.withOutlierChannels(TestData.gaussian(random, TOKENS * D), D, new int[]{9}, 50f);
        float[] lambda = SmoothFactors.fit(keys, TOKENS, D);
        float max9 = 0;
        for (int j = 0; j < TOKENS; j++) max9 = Math.max(max9, Math.abs(keys[j * D + 9]));
        assertEquals(Half.roundToFp16((float) Math.sqrt(max9)), lambda[9], 0f);
        assertTrue(lambda[9] > 4 * lambda[10], "outlier channel gets the larger factor");
    }

    @Test
    void zeroChannelIsLeftUnscaled() {
        float[] keys = new float[4 * 8];
        keys[1] = 4f;
        float[] lambda = SmoothFactors.fit(keys, 4, 8);
        assertEquals(2f, lambda[1], 0f);
        assertEquals(1f, lambda[0], 0f);
    }

    @Test
    void inverseUndoesTheKeyTransform() {
        Random random = new Random(7);
        float[] k = TestData.gaussian(random, D);
        KeyTransform t = new KeyTransform(D, SmoothFactors.fit(k, 1, D), true);
        float[] kt = new float[D];
        t.key(k, 0, kt);
        t.keyInverse(kt);
        for (int i = 0; i < D; i++) assertEquals(k[i], kt[i], 1e-5f * (1 + Math.abs(k[i])));
    }
}
