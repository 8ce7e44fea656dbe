package io.vecinfer.decoder;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SamplingTest {

    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        // logits (0, ln 2, ln 4): probabilities 1/7, 2/7, 4/7
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(4)};
        Sampling sampling = new Sampling(1f, 1f, 42);
        SplittableRandom random = sampling.randomFor(0);
        int[] counts = new int[3];
        int draws = 70_000;
        for (int i = 0; i < draws; i++) counts[sampling.next(logits, random)]++;
        assertEquals(1 / 7.0, counts[0] / (double) draws, 0.01);
        assertEquals(2 / 7.0, counts[1] / (double) draws, 0.01);
        assertEquals(4 / 7.0, counts[2] / (double) draws, 0.01);
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(4)};
        // top_p 0.6: the top token alone has 4/7 < 0.6, so the nucleus is {2, 1}, renormalised to 2/3, 1/3.
        Sampling sampling = new Sampling(1f, 0.6f, 7);
        SplittableRandom random = sampling.randomFor(0);
        int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++) counts[sampling.next(logits, random)]++;
        assertEquals(0, counts[0]);
        assertEquals(2 / 3.0, counts[2] / 30_000.0, 0.015);
    }

    @Test
    void zeroTemperatureIsGreedyAndBadSettingsAreRefused() {
        float[] logits = new float[50];
        SplittableRandom r = new SplittableRandom();
        for (int i = 0; i < logits.length; i++) logits[i] = (float) r.nextGaussian();
        assertEquals(Sampling.argmax(logits), Sampling.GREEDY.next(logits, r));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(-1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(1f, 0f, 0));
    }

    @Test
    void seededGenerationIsReproducibleOnTheShippedModel() {
        try (Model model = Model.load(RepoPaths.referenceModel())) {
            Generator<KvCache> generator = new Generator<>(new Decoder(model), DenseKvCache.factory(DenseKvCache.Precision.FP32), model.kvLayout());
            List<int[]> prompts = List.of(new int[]{0, 400, 500, 600}, new int[]{0, 700, 800});
            Sampling seeded = new Sampling(1.0f, 0.95f, 123);
            List<int[]> first = generator.generate(prompts, 12, seeded, -1);
            List<int[]> again = generator.generate(prompts, 12, seeded, -1);
            List<int[]> other = generator.generate(prompts, 12, new Sampling(1.0f, 0.95f, 124), -1);
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(12, first.get(i).length);
                assertArrayEquals(first.get(i), again.get(i));
            }
            assertFalse(java.util.Arrays.equals(first.get(0), other.get(0)) && java.util.Arrays.equals(first.get(1), other.get(1)),
                    "another seed gives another sample");
        }
    }
}
