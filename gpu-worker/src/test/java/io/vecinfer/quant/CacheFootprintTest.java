package io.vecinfer.quant;

import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CacheFootprintTest {
    /** Llama-3.1-8B: 32 layers, 8 KV heads, head_dim 128. */
    private static final KvLayout LLAMA = new KvLayout(32, 8, 32, 128);

    @ParameterizedTest
    @CsvSource({"d2b8, 64", "d4b8, 32", "d8b12, 24", "d8b8, 16"})
    void codeBytesPerTokenPerHeadMatchMethodTable(String shape, double bytes) {
        VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=" + shape + ",v=" + shape);
        assertEquals(bytes, CacheFootprint.codeBytesPerTokenPerHead(spec.keys(), 128), 0.0);
        assertEquals(256 / bytes, 2.0 * 128 / CacheFootprint.codeBytesPerTokenPerHead(spec.keys(), 128), 1e-12);
    }

    @Test
    void vecinferD4b8AtFourThousandTokens() {
        CacheFootprint f = CacheFootprint.of(MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,r=128"), LLAMA, 4096);
        // 256 KV heads; 3968 tokens encoded (31 blocks), 128 in the window.
        assertEquals(256.0 * 3968 * 32, f.keyCodeBytes(), 0.0);        // 32,505,856
        assertEquals(256.0 * 3968 * 32, f.valueCodeBytes(), 0.0);
        assertEquals(256.0 * 128 * 128 * 2 * 2, f.windowBytes(), 0.0);  // 16,777,216
        assertEquals(2.0 * 32 * 256 * 4 * 2, f.codebookBytes(), 0.0);   // K and V, one 2 KB codebook per layer: 131,072
        assertEquals(256.0 * 128 * 2, f.smoothBytes(), 0.0);           // 65,536
        assertEquals(81_985_536.0, f.totalBytes(), 0.0);
        assertEquals(536_870_912.0, f.fp16Bytes(), 0.0);               // 4096 × 256 × 128 × 2 B × (K, V)
        assertEquals(536_870_912.0 / 81_985_536.0, f.compressionRatio(), 1e-12);
        assertEquals(81_985_536.0 / 4096, f.bytesPerToken(), 1e-9);
    }

    @Test
    void vecinferD8b12AndD8b8AtSteadyState() {
        // One block past the window: the window holds exactly R tokens, so codes dominate as L grows.
        CacheFootprint f = CacheFootprint.of(MethodSpec.parse("vecinfer:k=d8b12,v=d8b8,r=128,scope=head"), LLAMA, 128 + 128 * 1000);
        assertEquals(256.0 * 128_000 * 24, f.keyCodeBytes(), 0.0);
        assertEquals(256.0 * 128_000 * 16, f.valueCodeBytes(), 0.0);
        assertEquals(256.0 * (4096 * 8 + 256 * 8) * 2, f.codebookBytes(), 0.0); // per (layer, head): 64 KB + 4 KB
        CacheFootprint d8b8 = CacheFootprint.of(MethodSpec.parse("rawvq:k=d8b8,v=d8b8,r=128,scope=global"), LLAMA, 256);
        assertEquals(256.0 * 128 * 16 * 2, d8b8.keyCodeBytes() + d8b8.valueCodeBytes(), 0.0);
        assertEquals(2.0 * 256 * 8 * 2, d8b8.codebookBytes(), 0.0);
        assertEquals(0.0, d8b8.smoothBytes(), 0.0);
    }

    @Test
    void kiviB2g128AtFourThousandTokens() {
        CacheFootprint f = CacheFootprint.of(MethodSpec.parse("kivi:k=b2g128,v=b2g128,r=128"), LLAMA, 4096);
        assertEquals(256.0 * 3968 * 128 * 2 / 8, f.keyCodeBytes(), 0.0);
        // keys: 31 blocks × 128 channels, values: 3968 tokens × 1 group; 4 B (fp16 zero + scale) each
        assertEquals(256.0 * (31 * 128 + 3968) * 4, f.groupParamBytes(), 0.0);
        assertEquals(89_915_392.0, f.totalBytes(), 0.0);
        // steady state per token per KV head: K 32 + 4 B, V 32 + 4 B against 512 B of fp16
        CacheFootprint steady = CacheFootprint.of(MethodSpec.parse("kivi:k=b2g128,v=b2g128,r=128"), LLAMA, 128 + 128 * 100);
        double encodedPerHead = (steady.totalBytes() - steady.windowBytes()) / 256 / 12_800;
        assertEquals(72.0, encodedPerHead, 0.0);
    }

    @Test
    void denseCaches() {
        assertEquals(1.0, CacheFootprint.of(MethodSpec.parse("fp16"), LLAMA, 10).compressionRatio(), 0.0);
        assertEquals(0.5, CacheFootprint.of(MethodSpec.parse("fp32"), LLAMA, 10).compressionRatio(), 0.0);
    }
}
