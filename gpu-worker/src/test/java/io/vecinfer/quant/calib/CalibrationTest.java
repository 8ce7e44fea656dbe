package io.vecinfer.quant.calib;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KMeansConfig;
import io.vecinfer.quant.vq.SmoothFactors;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationTest {
    static final KvLayout LAYOUT = new KvLayout(2, 2, 4, 16);

    /** Samples recorded through {@link RecordingKvCache}, as the decoder would produce them. */
    static CalibrationSamples record(Random random, int tokens) {
        CalibrationSamples samples = new CalibrationSamples(LAYOUT);
        KvCache cache = RecordingKvCache.factory(DenseKvCache.Precision.FP16, samples).create(LAYOUT);
        int width = LAYOUT.tokenWidth();
        float[] k = TestData.withOutlierChannels(TestData.gaussian(random, tokens * width), 16, new int[]{1}, 12f);
        float[] v = TestData.gaussian(random, tokens * width);
        for (int l = 0; l < LAYOUT.layers(); l++) for (int t = 0; t < tokens; t++) cache.append(l, k, t * width, v, t * width);
        return samples;
    }

    @Test
    void recordingCacheKeepsEveryTokenAndAttendsLikeTheDenseCache() {
        CalibrationSamples samples = new CalibrationSamples(LAYOUT);
        KvCache recording = RecordingKvCache.factory(DenseKvCache.Precision.FP16, samples).create(LAYOUT);
        DenseKvCache dense = new DenseKvCache(LAYOUT, DenseKvCache.Precision.FP16);
        Random random = new Random(41);
        float[] k = TestData.gaussian(random, 5 * LAYOUT.tokenWidth()), v = TestData.gaussian(random, k.length);
        for (int t = 0; t < 5; t++) {
            recording.append(1, k, t * LAYOUT.tokenWidth(), v, t * LAYOUT.tokenWidth());
            dense.append(1, k, t * LAYOUT.tokenWidth(), v, t * LAYOUT.tokenWidth());
        }
        assertEquals(5, samples.tokens(1));
        assertEquals(0, samples.tokens(0));
        float[] head1 = samples.keys(1, 1);
        for (int t = 0; t < 5; t++) for (int i = 0; i < 16; i++) assertEquals(k[t * 32 + 16 + i], head1[t * 16 + i], 0f, "recorded exactly, not fp16-rounded");
        float[] q = TestData.gaussian(random, 4 * 16), a = new float[64], b = new float[64];
        recording.attend(1, q, 0, 0.25f, a, 0);
        dense.attend(1, q, 0, 0.25f, b, 0);
        assertArrayEquals(b, a);
    }

    @Test
    void fitsSmoothingAndOneCodebookPerScope() {
        CalibrationSamples samples = record(new Random(42), 100);
        VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=d4b6,v=d4b6,r=16,scope=head");
        CodebookSet set = Calibration.fit(spec, samples, "test-model", new KMeansConfig(3, 5, 2));
        assertArrayEquals(SmoothFactors.fit(samples.keys(1, 0), 100, 16), set.lambda(1, 0));
        assertEquals(4, set.keyBooks().length);
        assertEquals("test-model", set.provenance().model());
        assertEquals(samples.sha256(), set.provenance().calibrationSha256());
        assertArrayEquals(set.keyBooks()[3].words(), Calibration.fit(spec, samples, "test-model", new KMeansConfig(3, 5, 1)).keyBooks()[3].words());
    }

    @Test
    void tooLittleCalibrationTextSaysHowMuchWasCollectedAndNeeded() {
        CalibrationSamples samples = record(new Random(43), 30); // 30 tokens × 4 sub-vectors = 120 per (layer, head)
        VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,scope=head");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Calibration.fit(spec, samples, "m", new KMeansConfig(1, 1, 1)));
        assertTrue(e.getMessage().contains("collected 120 sub-vectors") && e.getMessage().contains("needs at least 256"), e.getMessage());
        // per layer, the two heads together still fall short; globally 480 suffice
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Calibration.fit((VqSpec) MethodSpec.parse("vecinfer:k=d4b8,v=d4b8"),
                samples, "m", new KMeansConfig(1, 1, 1))).getMessage().contains("collected 240"));
        Calibration.fit((VqSpec) MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,scope=global"), samples, "m", new KMeansConfig(1, 1, 1));
    }

    @Test
    void shaIdentifiesTheCalibrationData() {
        CalibrationSamples a = record(new Random(44), 10), b = record(new Random(44), 10), c = record(new Random(45), 10);
        assertEquals(a.sha256(), b.sha256());
        assertNotEquals(a.sha256(), c.sha256());
        assertEquals(64, a.sha256().length());
    }
}
