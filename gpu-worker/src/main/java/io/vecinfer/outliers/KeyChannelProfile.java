package io.vecinfer.outliers;

import io.vecinfer.quant.calib.CalibrationSamples;
import io.vecinfer.quant.vq.KeyTransform;
import io.vecinfer.quant.vq.SmoothFactors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The key-channel profile that VecInfer's transforms act on: per layer and KV head, max |K| of every
 * channel over calibration text, and how far the largest channel stands above the median channel,
 * for the raw keys and after smoothing, the Hadamard rotation, and both.
 */
public final class KeyChannelProfile {

    public enum Transform {
        NONE(false, false), SMOOTH(true, false), HADAMARD(false, true), BOTH(true, true);
        final boolean smooth, hadamard;

        Transform(boolean smooth, boolean hadamard) {
            this.smooth = smooth;
            this.hadamard = hadamard;
        }
    }

    /** One head's channel maxima under one transform, and max/median of them. */
    public record Head(int layer, int kvHead, Transform transform, float[] channelMaxAbs, double maxOverMedian) {
    }

    private KeyChannelProfile() {
    }

    public static List<Head> measure(CalibrationSamples samples) {
        var layout = samples.layout();
        int d = layout.headDim();
        List<Head> heads = new ArrayList<>();
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                float[] keys = samples.keys(l, h);
                int tokens = samples.tokens(l);
                float[] lambda = SmoothFactors.fit(keys, tokens, d);
                for (Transform t : Transform.values()) {
                    KeyTransform transform = new KeyTransform(d, t.smooth ? lambda : null, t.hadamard);
                    float[] max = new float[d], out = new float[d];
                    for (int i = 0; i < tokens; i++) {
                        transform.key(keys, i * d, out);
                        for (int c = 0; c < d; c++) max[c] = Math.max(max[c], Math.abs(out[c]));
                    }
                    heads.add(new Head(l, h, t, max, maxOverMedian(max)));
                }
            }
        }
        return heads;
    }

    public static double maxOverMedian(float[] channelMax) {
        float[] sorted = channelMax.clone();
        Arrays.sort(sorted);
        double median = (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2.0;
        return sorted[sorted.length - 1] / median;
    }

    /** A table: one row per (layer, head), max/median under each transform. */
    public static String table(List<Head> heads) {
        StringBuilder sb = new StringBuilder("layer head   none  smooth  hadamard  both\n");
        for (int i = 0; i < heads.size(); i += Transform.values().length) {
            Head first = heads.get(i);
            sb.append(String.format(Locale.ROOT, "%5d %4d", first.layer(), first.kvHead()));
            for (int t = 0; t < Transform.values().length; t++) {
                sb.append(String.format(Locale.ROOT, " %7.2f", heads.get(i + t).maxOverMedian()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
