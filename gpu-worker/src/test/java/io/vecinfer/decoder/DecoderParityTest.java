package io.vecinfer.decoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.safetensors.SafeTensorsFile;
import io.vecinfer.tensor.ScalarDotKernel;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our fp32 logits against those transformers computed in fp32 from the same saved weights
 * (gpu-worker/src/test/python/make_fixtures.py, run on the H200): max |ours - theirs| / max |theirs| ≤ 1e-4.
 */
class DecoderParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOLERANCE = 1e-4;
    private static final KvCacheFactory FP32 = DenseKvCache.factory(DenseKvCache.Precision.FP32);

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "mistral", "qwen2", "qwen3"})
    void tinyCheckpointsMatchTransformers(String arch) throws Exception {
        Path folder = RepoPaths.fixtures().resolve("tiny").resolve(arch);
        checkLogits(folder, folder);
    }

    @Test
    void shippedReferenceModelMatchesTransformers() throws Exception {
        checkLogits(RepoPaths.referenceModel(), RepoPaths.fixtures().resolve("reference-model"));
    }

    @Test
    void shippedReferenceModelGreedyContinuationsAreIdentical() throws Exception {
        Path fixture = RepoPaths.fixtures().resolve("reference-model");
        JsonNode reference = JSON.readTree(Files.readString(fixture.resolve("reference.json")));
        try (Model model = Model.load(RepoPaths.referenceModel())) {
            Generator<KvCache> generator = new Generator<>(new Decoder(model), FP32, model.kvLayout());
            List<int[]> prompts = ids(reference.get("prompts"));
            List<int[]> expected = ids(reference.get("greedy_continuations"));
            List<int[]> actual = generator.generate(prompts, expected.get(0).length, Sampling.GREEDY, -1);
            for (int i = 0; i < prompts.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), "prompt " + i);
        }
    }

    @Test
    void llama3RopeFrequenciesMatchTransformers() throws Exception {
        Path folder = RepoPaths.fixtures().resolve("tiny/llama3");
        JsonNode expected = JSON.readTree(Files.readString(folder.resolve("reference.json"))).get("inv_freq");
        try (Model model = Model.load(folder)) {
            float[] ours = new io.vecinfer.model.Rope(model.config()).inverseFrequencies();
            assertEquals(expected.size(), ours.length);
            for (int i = 0; i < ours.length; i++) {
                double want = expected.get(i).asDouble();
                assertEquals(want, ours[i], Math.abs(want) * 1e-6, "inv_freq[" + i + "]");
            }
        }
    }

    private static void checkLogits(Path checkpoint, Path fixture) throws Exception {
        JsonNode reference = JSON.readTree(Files.readString(fixture.resolve("reference.json")));
        List<int[]> prompts = ids(reference.get("prompts"));
        try (Model model = Model.load(checkpoint); SafeTensorsFile logits = SafeTensorsFile.open(fixture.resolve("logits.safetensors"))) {
            // Each prompt alone, with the SIMD and the scalar kernels; then all prompts as one batch.
            for (var decoder : List.of(new Decoder(model), new Decoder(model, ScalarDotKernel.INSTANCE))) {
                for (int p = 0; p < prompts.size(); p++) {
                    float[][] ours = decoder.forwardAll(List.of(new Sequence<>(FP32.create(model.kvLayout()))), List.of(prompts.get(p)));
                    assertClose(logits.readFloats("logits." + p), ours, checkpoint + " prompt " + p);
                }
            }
            List<Sequence<KvCache>> batch = new ArrayList<>();
            for (int p = 0; p < prompts.size(); p++) batch.add(new Sequence<>(FP32.create(model.kvLayout())));
            float[][] together = new Decoder(model).forwardAll(batch, prompts);
            int row = 0;
            for (int p = 0; p < prompts.size(); p++) {
                float[][] rows = java.util.Arrays.copyOfRange(together, row, row + prompts.get(p).length);
                row += prompts.get(p).length;
                assertClose(logits.readFloats("logits." + p), rows, checkpoint + " batched prompt " + p);
            }
        }
    }

    static void assertClose(float[] expected, float[][] actualRows, String what) {
        int vocab = actualRows[0].length;
        assertEquals(expected.length, actualRows.length * vocab, what + ": logits count");
        double maxDiff = 0, maxRef = 0;
        for (int r = 0; r < actualRows.length; r++) {
            for (int i = 0; i < vocab; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(actualRows[r][i] - expected[r * vocab + i]));
                maxRef = Math.max(maxRef, Math.abs(expected[r * vocab + i]));
            }
        }
        double relative = maxDiff / maxRef;
        assertTrue(relative <= TOLERANCE, what + ": max relative error " + relative + " > " + TOLERANCE);
    }

    private static List<int[]> ids(JsonNode arrays) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode a : arrays) {
            int[] ids = new int[a.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = a.get(i).asInt();
            out.add(ids);
        }
        return out;
    }
}
