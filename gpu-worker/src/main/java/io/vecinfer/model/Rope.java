package io.vecinfer.model;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: channel i pairs with i + D/2. The
 * frequencies and angles are computed in float32 as transformers computes them, so logits match it
 * to float rounding even at long positions.
 */
public final class Rope {
    private final float[] invFreq;
    private final int headDim;

    public Rope(ModelConfig config) {
        headDim = config.headDim();
        invFreq = inverseFrequencies(config);
    }

    static float[] inverseFrequencies(ModelConfig config) {
        int half = config.headDim() / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / config.headDim();
            inv[i] = 1f / (float) Math.pow(config.ropeTheta(), exponent);
        }
        ModelConfig.RopeScaling s = config.ropeScaling();
        if (s == null) return inv;
        // Llama 3.1: low frequencies are divided by factor, high ones kept, the band between blended.
        float lowWavelen = (float) (s.originalMaxPositions() / s.lowFreqFactor());
        float highWavelen = (float) (s.originalMaxPositions() / s.highFreqFactor());
        for (int i = 0; i < half; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowWavelen ? inv[i] / (float) s.factor() : inv[i];
            if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                float smooth = (float) ((s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor()));
                scaled = (1 - smooth) * scaled / (float) s.factor() + smooth * scaled;
            }
            inv[i] = scaled;
        }
        return inv;
    }

    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** cos and sin of every frequency at one position, in cos[0..D/2), sin[0..D/2). */
    public void angles(int position, float[] cos, float[] sin) {
        for (int i = 0; i < invFreq.length; i++) {
            float angle = invFreq[i] * (float) position;
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    /** Rotates one head vector in place. */
    public void apply(float[] x, int offset, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float a = x[offset + i], b = x[offset + i + half];
            x[offset + i] = a * cos[i] - b * sin[i];
            x[offset + i + half] = b * cos[i] + a * sin[i];
        }
    }
}
