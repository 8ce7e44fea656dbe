package io.vecinfer.cuda.decoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.decoder.Batching;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** CPU: the CUDA decoder's prefill chunk, the largest power of two up to 8192 rows whose activations fit a quarter of free memory. */
class ChunkRowsTest {
    private static final long GIB = 1L << 30;

    @Test
    void theLlama8bShapeTakes8192RowsOnAnH200AndLessOnSmallerDevices(@TempDir Path tmp) throws Exception {
        ModelConfig c = llama8b(tmp);
        // x, xb 2 × 4096; q, attended 2 × 4096; k, v 2 × 1024; the gate|up product 2 × 14336 and SwiGLU's h 14336; two
        // logits rows 2 × 128256; cos, sin 128: 318080 floats, plus a token id and the 16-bit copy of the 4096-wide
        // attention output (the norms and SwiGLU write 16-bit inputs themselves).
        assertEquals(318080L * 4 + 4 + 4096 * 2, CudaDecoder.activationBytesPerRow(c));
        assertEquals(8192, CudaDecoder.chunkRows(c, 124 * GIB), "an H200 after 16 GB of weights");
        assertEquals(4096, CudaDecoder.chunkRows(c, 24 * GIB), "6 GiB for activations: 5031 rows fit, a power of two below");
        assertEquals(1024, CudaDecoder.chunkRows(c, 8 * GIB), "2 GiB for activations: 1677 rows fit, a power of two below");
        assertEquals(Batching.CHUNK_ROWS, CudaDecoder.chunkRows(c, GIB), "never fewer than the CPU's chunk");
        assertEquals(CudaDecoder.MAX_CHUNK_ROWS, 8192);
    }

    private static ModelConfig llama8b(Path tmp) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(Files.readString(RepoPaths.fixtures().resolve("tiny/llama3/config.json")));
        config.put("hidden_size", 4096).put("intermediate_size", 14336).put("num_attention_heads", 32).put("num_key_value_heads", 8)
                .put("head_dim", 128).put("num_hidden_layers", 32).put("vocab_size", 128256).put("max_position_embeddings", 131072);
        Path file = tmp.resolve("config.json");
        Files.writeString(file, json.writeValueAsString(config));
        return ModelConfig.load(file);
    }
}
