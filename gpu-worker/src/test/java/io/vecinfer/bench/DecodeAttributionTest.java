package io.vecinfer.bench;

import io.vecinfer.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodeAttributionTest {
    private static final ModelConfig C = DecodeAttribution.LLAMA_8B;

    @Test
    void theEightBStepHasTheMeasuredEagerLaunchesLessTheFoldedOnes() {
        // decoder-e2e-h200-4057789.json: eager_launches_per_step 547 at every batch, with the residual add its own kernel
        // (2 a layer) and the attention's store, split and combine three; qkv, o and down are split over k
        // (Matmul.skinnyChunksPerSplit), gate_up and lm_head are not. With o and down adding into x themselves and the
        // attention one kernel, 4 launches fewer a layer; with q and k rotated by one launch, 5.
        assertEquals(547 - 5 * 32, DecodeAttribution.eagerLaunches(C, Set.of("qkv", "o", "down")));
        assertEquals(1 + 12 * 32 + 2, DecodeAttribution.eagerLaunches(C, Set.of("qkv", "o", "down")));
        assertEquals(1 + 9 * 32 + 2, DecodeAttribution.eagerLaunches(C, Set.of())); // decode-launch-notes' 451 before the split, less the folds
        assertFalse(DecodeAttribution.callsPerStep(C).containsKey(DecodeAttribution.ADD), "no residual add call");
    }

    @Test
    void productsAreTheStackedEightBWeights() {
        long bytes = 0;
        for (DecodeAttribution.Product p : DecodeAttribution.products(C)) {
            bytes += p.weightBytes(2) * (p.name().equals("lm_head") ? 1 : C.numLayers());
        }
        // 6.98 G layer parameters + 0.53 G lm_head at 2 bytes: the 15 GB a step reads (decoder-speed-notes.md)
        assertEquals(15.0e9, bytes, 0.05e9);
        assertEquals(new DecodeAttribution.Product("qkv", 6144, 4096), DecodeAttribution.products(C).get(0));
        assertEquals(new DecodeAttribution.Product("down", 4096, 14336), DecodeAttribution.products(C).get(3));
    }

    @Test
    void predictionSumsCallsTimesMicros() {
        SplittableRandom random = new SplittableRandom();
        Map<String, Double> micros = new HashMap<>();
        for (String family : DecodeAttribution.callsPerStep(C).keySet()) micros.put(family, 1 + 100 * random.nextDouble());
        DecodeAttribution.Prediction p = DecodeAttribution.predict(C, micros);
        double expected = 0;
        for (Map.Entry<String, Integer> e : DecodeAttribution.callsPerStep(C).entrySet()) expected += e.getValue() * micros.get(e.getKey()) / 1e3;
        assertEquals(expected, p.stepMs(), 1e-9);
        assertEquals(32 * micros.get("qkv") / 1e3, p.familyMs().get("qkv"), 1e-12);
        micros.put(DecodeAttribution.ADD, 1e6); // timed by the benchmark, but no call of the step
        assertEquals(p, DecodeAttribution.predict(C, micros));
        assertEquals((micros.get("lm_head") + micros.get(DecodeAttribution.RMSNORM)) / 1e3, p.headMs(), 1e-12);
        assertTrue(p.headMs() < p.stepMs());
        assertEquals(p.stepMs(), p.familyMs().values().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
    }

    @Test
    void aMissingFamilyIsAnError() {
        Map<String, Double> micros = new HashMap<>();
        for (String family : DecodeAttribution.callsPerStep(C).keySet()) micros.put(family, 1.0);
        micros.remove(DecodeAttribution.ATTENTION);
        assertThrows(IllegalArgumentException.class, () -> DecodeAttribution.predict(C, micros));
        micros.put(DecodeAttribution.ATTENTION, Double.NaN);
        assertThrows(IllegalArgumentException.class, () -> DecodeAttribution.predict(C, micros));
    }

    @Test
    void qwen3AddsItsHeadNorms() {
        ModelConfig qwen3 = new ModelConfig(ModelConfig.Architecture.QWEN3, 1000, 256, 512, 4, 8, 2, 32, 4096, 1e-6f, 1e6, null,
                true, false, null, 1, 2);
        assertEquals(8, DecodeAttribution.callsPerStep(qwen3).get(DecodeAttribution.HEAD_NORM));
        assertTrue(!DecodeAttribution.callsPerStep(C).containsKey(DecodeAttribution.HEAD_NORM));
    }

    @Test
    void theJsonHasItsHeadAndIsRewrittenWhole(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var result = DecodeAttributionBenchmark.newResult("bash x.sh", "abc1234", 4096, 20);
        result.put("device", "NVIDIA H200");
        java.nio.file.Path out = dir.resolve("a.json");
        BenchJson.write(result, out);
        result.putArray("rows").addObject().put("part", "kernels").put("name", "qkv").put("batch", 1).put("us_per_call", 20.5);
        BenchJson.write(result, out); // after every row: the file is always one whole JSON document
        var read = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toFile());
        for (String key : new String[]{"command", "device", "date", "commit", "rows"}) assertTrue(read.has(key), key);
        assertEquals("abc1234", read.get("commit").asText());
        assertEquals(20.5, read.get("rows").get(0).get("us_per_call").asDouble());
        java.time.Instant.parse(read.get("date").asText());
    }

    @Test
    void terabytesPerSecond() {
        assertEquals(4.0, DecodeAttribution.terabytesPerSecond(4_000_000, 1.0), 1e-12);
    }
}
