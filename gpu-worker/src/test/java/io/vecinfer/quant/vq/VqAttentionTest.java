package io.vecinfer.quant.vq;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.CacheFootprint;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VqAttentionTest {
    private static final KvLayout LAYOUT = new KvLayout(2, 2, 4, 64);
    private static final int[] OUTLIERS = {5, 40};

    private static void appendAll(KvLayout layout, float[] keys, float[] values, int tokens, KvCache... caches) {
        for (int l = 0; l < layout.layers(); l++) {
            for (int t = 0; t < tokens; t++) {
                for (KvCache c : caches) c.append(l, keys, (l * tokens + t) * layout.tokenWidth(), values, (l * tokens + t) * layout.tokenWidth());
            }
        }
    }

    private static float[] attend(KvCache cache, int layer, float[] q) {
        KvLayout layout = cache.layout();
        float[] out = new float[layout.queryHeads() * layout.headDim()];
        cache.attend(layer, q, 0, (float) (1 / Math.sqrt(layout.headDim())), out, 0);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "vecinfer:k=d4b8,v=d4b8,r=16",
            "vecinfer:k=d8b12,v=d8b12,r=16",
            "vecinfer:k=d8b8,v=d8b8,r=16,scope=head",
            "vecinfer:k=d8b12,v=d8b8,r=16,smooth=off,scope=global",
            "rawvq:k=d4b8,v=d2b8,r=16",
    })
    void lookupTableAndDequantizePathsAgree(String text) {
        Random random = new Random(text.hashCode());
        VqSpec spec = (VqSpec) MethodSpec.parse(text);
        CodebookSet books = RandomCodebooks.of(spec, LAYOUT, random);
        int tokens = 75; // 48 encoded in three blocks of 16, 27 in the fp16 window
        float[] keys = TestData.withOutlierChannels(TestData.gaussian(random, LAYOUT.layers() * tokens * LAYOUT.tokenWidth()), 64, OUTLIERS, 20f);
        float[] values = TestData.gaussian(random, keys.length);
        VqKvCache byTable = new VqKvCache(books, LAYOUT, AttentionPath.LOOKUP_TABLE);
        VqKvCache dequantized = new VqKvCache(books, LAYOUT, AttentionPath.DEQUANTIZE);
        // Layer 0 token by token, as prefill calls it: covers the window alone, the first flush and the merge.
        double worst = 0;
        for (int t = 0; t < tokens; t++) {
            int at = t * LAYOUT.tokenWidth();
            byTable.append(0, keys, at, values, at);
            dequantized.append(0, keys, at, values, at);
            float[] q = TestData.gaussian(random, LAYOUT.queryHeads() * LAYOUT.headDim());
            worst = Math.max(worst, TestData.relativeError(attend(byTable, 0, q), attend(dequantized, 0, q)));
        }
        assertTrue(worst <= 1e-5, "relative difference " + worst);
        assertEquals(tokens, byTable.length(0));
        assertEquals(0, byTable.length(1));
    }

    /**
     * With every encoded sub-vector exactly a codeword, compression loses nothing: both paths must give
     * the dense cache's attention. Data are fp16 values so the fp16 window is lossless too.
     */
    @ParameterizedTest
    @ValueSource(strings = {"vecinfer:k=d4b8,v=d4b8,r=8,scope=head", "rawvq:k=d4b8,v=d8b8,r=8", "vecinfer:k=d4b8,v=d4b8,r=8,hadamard=off,scope=head"})
    void codebookHoldingTheDataGivesDenseAttention(String text) {
        KvLayout layout = new KvLayout(2, 2, 4, 16);
        VqSpec spec = (VqSpec) MethodSpec.parse(text);
        Random random = new Random(77);
        int tokens = 43, encoded = 32;
        float[] keys = TestData.withOutlierChannels(TestData.fp16Gaussian(random, layout.layers() * tokens * layout.tokenWidth()), 16, new int[]{3}, 16f);
        float[] values = TestData.fp16Gaussian(random, keys.length);
        CodebookSet books = booksHoldingData(spec, layout, keys, values, tokens, encoded);
        DenseKvCache dense = new DenseKvCache(layout, DenseKvCache.Precision.FP32);
        VqKvCache byTable = new VqKvCache(books, layout, AttentionPath.LOOKUP_TABLE);
        VqKvCache dequantized = new VqKvCache(books, layout, AttentionPath.DEQUANTIZE);
        appendAll(layout, keys, values, tokens, dense, byTable, dequantized);
        for (int l = 0; l < layout.layers(); l++) {
            float[] q = TestData.gaussian(random, layout.queryHeads() * layout.headDim());
            float[] expected = attend(dense, l, q);
            assertTrue(TestData.relativeError(attend(byTable, l, q), expected) <= 1e-5);
            assertTrue(TestData.relativeError(attend(dequantized, l, q), expected) <= 1e-5);
        }
        // and with a codebook that is not the data, compression shows: the test above can fail
        VqKvCache lossy = new VqKvCache(RandomCodebooks.of(spec, layout, random), layout, AttentionPath.LOOKUP_TABLE);
        appendAll(layout, keys, values, tokens, lossy);
        float[] q = TestData.gaussian(random, layout.queryHeads() * layout.headDim());
        assertTrue(TestData.relativeError(attend(lossy, 0, q), attend(dense, 0, q)) > 1e-2);
    }

    /** Codebooks whose codewords are the (transformed) sub-vectors of the first {@code encoded} tokens; spare codewords far away. */
    private static CodebookSet booksHoldingData(VqSpec spec, KvLayout layout, float[] keys, float[] values, int tokens, int encoded) {
        int d = layout.headDim(), heads = layout.layers() * layout.kvHeads();
        float[][] lambdas = spec.smooth() ? new float[heads][] : null;
        int kSub = spec.keys().subspaces(d), vSub = spec.values().subspaces(d);
        int kBooks = spec.scope().count(layout, kSub), vBooks = spec.scope().count(layout, vSub);
        float[][] kWords = farWords(kBooks, spec.keys().codewords() * spec.keys().dims());
        float[][] vWords = farWords(vBooks, spec.values().codewords() * spec.values().dims());
        int[] kUsed = new int[kBooks], vUsed = new int[vBooks];
        float[] kt = new float[d];
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                int slot = l * layout.kvHeads() + h;
                float[] headKeys = new float[tokens * d];
                for (int t = 0; t < tokens; t++) System.arraycopy(keys, (l * tokens + t) * layout.tokenWidth() + h * d, headKeys, t * d, d);
                if (lambdas != null) lambdas[slot] = SmoothFactors.fit(headKeys, tokens, d);
                KeyTransform transform = new KeyTransform(d, lambdas == null ? null : lambdas[slot], spec.hadamard());
                for (int t = 0; t < encoded; t++) {
                    int base = (l * tokens + t) * layout.tokenWidth() + h * d;
                    transform.key(keys, base, kt);
                    for (int s = 0; s < kSub; s++) {
                        int b = spec.scope().index(layout, l, h, s), n = spec.keys().dims();
                        System.arraycopy(kt, s * n, kWords[b], kUsed[b]++ * n, n);
                    }
                    for (int s = 0; s < vSub; s++) {
                        int b = spec.scope().index(layout, l, h, s), n = spec.values().dims();
                        System.arraycopy(values, base + s * n, vWords[b], vUsed[b]++ * n, n);
                    }
                }
            }
        }
        Codebook[] k = new Codebook[kBooks], v = new Codebook[vBooks];
        for (int b = 0; b < kBooks; b++) k[b] = new Codebook(spec.keys().dims(), spec.keys().codewords(), kWords[b]);
        for (int b = 0; b < vBooks; b++) v[b] = new Codebook(spec.values().dims(), spec.values().codewords(), vWords[b]);
        return new CodebookSet(spec, layout, lambdas, k, v, Provenance.unknown());
    }

    private static float[][] farWords(int books, int floats) {
        float[][] w = new float[books][floats];
        for (float[] b : w) java.util.Arrays.fill(b, 1e4f);
        return w;
    }

    @Test
    void storedBytesMatchTheFootprint() {
        Random random = new Random(8);
        VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=d8b12,v=d4b8,r=16");
        CodebookSet books = RandomCodebooks.of(spec, LAYOUT, random);
        int tokens = 75;
        float[] keys = TestData.gaussian(random, LAYOUT.layers() * tokens * LAYOUT.tokenWidth());
        VqKvCache cache = new VqKvCache(books, LAYOUT, AttentionPath.LOOKUP_TABLE);
        appendAll(LAYOUT, keys, keys, tokens, cache);
        CacheFootprint f = CacheFootprint.of(spec, LAYOUT, tokens);
        assertEquals(f.totalBytes() - f.codebookBytes() - f.smoothBytes(), cache.storedBytes(), 0.0);
        // 48 encoded tokens × 8 codes × 12 bits = 576 B of keys and 48 × 16 × 8 bits = 768 B of values per head
        assertEquals(4 * (576 + 768) + 4 * 27 * 64 * 4, cache.storedBytes());
    }

    @Test
    void refusesCodebooksOfAnotherLayout() {
        VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,r=16");
        CodebookSet books = RandomCodebooks.of(spec, LAYOUT, new Random(9));
        assertThrows(IllegalArgumentException.class, () -> new VqKvCache(books, new KvLayout(3, 2, 4, 64), AttentionPath.LOOKUP_TABLE));
    }
}
