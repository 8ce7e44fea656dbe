package io.vecinfer.quant.vq;

import io.vecinfer.tensor.Half;

/**
 * VecInfer's per-channel smoothing factors λ_i = sqrt(max_t |K[t,i]|) (SmoothQuant with α = 0.5 and
 * no weight side), from the calibration keys of one (layer, KV head). Keys are divided by λ and
 * queries multiplied by it, so any positive λ keeps q·Kᵀ; λ is stored in fp16 as the kernel keeps it.
 */
public final class SmoothFactors {
    private SmoothFactors() {
    }

    /** λ for {@code tokens} keys of {@code dim} channels, token-major from offset 0. */
    public static float[] fit(float[] keys, int tokens, int dim) {
        float[] maxAbs = new float[dim];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < dim; i++) maxAbs[i] = Math.max(maxAbs[i], Math.abs(keys[t * dim + i]));
        }
        float[] lambda = new float[dim];
        for (int i = 0; i < dim; i++) {
            float l = Half.roundToFp16((float) Math.sqrt(maxAbs[i]));
            // A channel that is always zero (or underflows fp16) would divide by zero: leave it unscaled.
            lambda[i] = l > 0f && Float.isFinite(l) ? l : 1f;
        }
        return lambda;
    }
}
