package io.vecinfer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness without a GPU ({@code --backend cpu}: the CPU decoder with an fp16 cache in the CUDA decoder's place),
 * fed as peer the fp32 transformers logits of the tiny fixtures (make_fixtures.py) laid out as
 * transformers_parity_peer.py writes them: the rows come out whole, transformers' fp32 logits sit within
 * DecoderParityTest's 1e-4 of the CPU decoder's, and a peer file of another model's logits shows as a large difference.
 */
class TransformersParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void fixtureLogitsRunThroughTheHarness(@TempDir Path peer) throws Exception {
        ObjectNode listing = JSON.createObjectNode();
        listing.put("transformers", "fixture fp32 logits");
        ArrayNode models = listing.putArray("models");
        for (String arch : new String[]{"llama3", "qwen3"}) {
            Path folder = RepoPaths.fixtures().resolve("tiny").resolve(arch);
            JsonNode reference = JSON.readTree(Files.readString(folder.resolve("reference.json")));
            ObjectNode m = models.addObject().put("name", arch).put("checkpoint", RepoPaths.root().relativize(folder).toString()).put("dtype", "bfloat16");
            m.set("prompts", reference.get("prompts"));
            Files.copy(folder.resolve("logits.safetensors"), peer.resolve(arch + ".safetensors"));
        }
        // A third entry: qwen3's checkpoint on llama3's prompts, against llama3's logits (same vocabulary and shapes,
        // other weights): the harness must show them far apart.
        ObjectNode wrong = models.addObject().put("name", "qwen3-against-llama3").put("checkpoint", models.get(1).get("checkpoint").asText()).put("dtype", "bfloat16");
        wrong.set("prompts", models.get(0).get("prompts"));
        Files.copy(peer.resolve("llama3.safetensors"), peer.resolve("qwen3-against-llama3.safetensors"));
        Files.writeString(peer.resolve("prompts.json"), JSON.writeValueAsString(listing));
        Path out = peer.resolve("parity.json");

        TransformersParity.main(new String[]{"--peer", peer.toString(), "--out", out.toString(), "--repo", RepoPaths.root().toString(),
                "--steps", "12", "--backend", "cpu", "--commit", "test"});

        JsonNode result = JSON.readTree(Files.readString(out));
        assertTrue(result.get("pass").asBoolean());
        assertEquals(3, result.get("rows").size());
        for (int i = 0; i < 2; i++) {
            JsonNode row = result.get("rows").get(i);
            assertEquals(20, row.get("positions_compared").asInt(), row.toString());
            assertTrue(row.get("transformers_vs_cpu_fp32").get("max_abs_dlogit_over_max_abs_logit").asDouble() <= 1e-4, row.toString());
            assertTrue(row.get("cuda_vs_cpu_fp32").get("within_bound").asBoolean());
            for (JsonNode g : row.get("greedy")) {
                assertEquals(12, g.get("cpu_tokens").size());
                assertTrue(g.get("holds").asBoolean(), g.toString());
            }
        }
        JsonNode mismatched = result.get("rows").get(2).get("transformers_vs_cpu_fp32");
        assertTrue(mismatched.get("max_abs_dlogit_over_max_abs_logit").asDouble() > 0.1, mismatched.toString());
    }
}
