package io.vecinfer.quant;

import io.vecinfer.tensor.Half;

import java.util.Random;

/** Seeded random inputs shaped like post-RoPE keys: mostly N(0,1), with a few outlier channels. */
public final class TestData {
    private TestData() {
    }

    public static float[] gaussian(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    /** Every element already an fp16 value, so an fp16 window stores it exactly. */
    public static float[] fp16Gaussian(Random random, int n) {
        float[] x = gaussian(random, n);
        for (int i = 0; i < n; i++) x[i] = Half.roundToFp16(x[i]);
        return x;
    }

    /** tokens × width keys whose channels {@code outliers} (mod headDim) are scaled by {@code factor}. */
    public static float[] withOutlierChannels(float[] keys, int headDim, int[] outliers, float factor) {
        float[] x = keys.clone();
        for (int i = 0; i < x.length; i++) {
            for (int c : outliers) if (i % headDim == c) x[i] = Half.roundToFp16(x[i] * factor);
        }
        return x;
    }

    /** max |a − b| / max |b|: the relative error of a whole output vector. */
    public static double relativeError(float[] a, float[] b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / scale;
    }
}
