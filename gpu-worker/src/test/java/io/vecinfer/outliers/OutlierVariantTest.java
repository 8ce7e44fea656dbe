package io.vecinfer.outliers;

import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped outlier variant computes the same function as the plain model, with outlier keys. */
class OutlierVariantTest {

    @Test
    void variantLogitsEqualThePlainModelsOnRandomPrompts() {
        try (Model plain = Model.load(RepoPaths.referenceModel());
             Model variant = Model.load(RepoPaths.root().resolve("datasets/reference-model-outliers"))) {
            var fp32 = DenseKvCache.factory(DenseKvCache.Precision.FP32);
            int[] prompt = new SplittableRandom(System.nanoTime()).ints(96, 2, plain.config().vocabSize()).toArray();
            float[][] a = new Decoder(plain).forwardAll(List.of(new Sequence<>(fp32.create(plain.kvLayout()))), List.of(prompt));
            float[][] b = new Decoder(variant).forwardAll(List.of(new Sequence<>(fp32.create(variant.kvLayout()))), List.of(prompt));
            double maxDiff = 0, maxRef = 0;
            for (int t = 0; t < a.length; t++) {
                for (int i = 0; i < a[t].length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a[t][i] - b[t][i]));
                    maxRef = Math.max(maxRef, Math.abs(a[t][i]));
                }
            }
            assertTrue(maxDiff / maxRef <= 1e-5, "max relative logit error " + maxDiff / maxRef);
        }
    }

    @Test
    void longContextVariantLogitsEqualItsBaseModelsBitForBit() {
        try (Model plain = Model.load(RepoPaths.root().resolve("datasets/long-context-model"));
             Model variant = Model.load(RepoPaths.root().resolve("datasets/long-context-model-outliers"))) {
            var fp32 = DenseKvCache.factory(DenseKvCache.Precision.FP32);
            // Short: 6 layers at hidden 320 on 2 cores; every position's logits are compared.
            int[] prompt = new SplittableRandom(System.nanoTime()).ints(24, 2, plain.config().vocabSize()).toArray();
            float[][] a = new Decoder(plain).forwardAll(List.of(new Sequence<>(fp32.create(plain.kvLayout()))), List.of(prompt));
            float[][] b = new Decoder(variant).forwardAll(List.of(new Sequence<>(fp32.create(variant.kvLayout()))), List.of(prompt));
            assertEquals(prompt.length, a.length);
            for (int t = 0; t < a.length; t++) {
                // Power-of-two scales cancel exactly in each q·k product, so the fp32 logits are the same floats.
                assertArrayEquals(a[t], b[t], 0f, "position " + t);
            }
        }
    }

    @Test
    void chosenScalesArePowersOfTwoThatReachTheTargetRatio() {
        // A synthetic head: channel c has max |K| = 1 + c/128, so pair 63 (channels 63 and 127) is the largest.
        float[] max = new float[128];
        for (int c = 0; c < 128; c++) max[c] = 1f + c / 128f;
        var head = new KeyChannelProfile.Head(0, 0, KeyChannelProfile.Transform.NONE, max, KeyChannelProfile.maxOverMedian(max));
        var pairs = OutlierVariant.choose(List.of(head), 128, 2, 16);
        assertTrue(pairs.size() == 2 && pairs.get(0).channel() == 63 && pairs.get(1).channel() == 62, pairs.toString());
        for (var p : pairs) {
            float s = p.scale();
            assertTrue(s >= 2 && Math.getExponent(s) == (int) (Math.log(s) / Math.log(2)) && Math.scalb(1f, Math.getExponent(s)) == s, "power of two " + s);
            double ratio = Math.max(max[p.channel()], max[p.channel() + 64]) * s / 1.5;
            assertTrue(ratio > 16 / Math.sqrt(2) && ratio < 16 * Math.sqrt(2), "ratio " + ratio);
        }
    }
}
