package io.vecinfer.decoder;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.KvCacheFactories;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code prefill=exact} on the shipped model, for a VQ and a scalar cache with a short window (r=32) so
 * that a 150-token prompt is mostly encoded: the prompt's logits are the fp16 cache's, bit for bit, and
 * the first decoded token's logits are those of fp16-computed prompt KV encoded by the method.
 */
class ExactPrefillTest {
    private static final int PROMPT = 150;
    private static final KvCacheFactory FP16 = DenseKvCache.factory(DenseKvCache.Precision.FP16);
    private static Model model;
    private static Decoder decoder;
    private static KvCacheFactory vecinfer;

    @BeforeAll
    static void load() {
        model = Model.load(RepoPaths.referenceModel());
        decoder = new Decoder(model);
        VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,r=32");
        var books = Calibrator.calibrate(model, Tokenizer.load(RepoPaths.referenceModel().resolve("tokenizer.json")), spec,
                new Calibrator.Settings(RepoPaths.root().resolve("datasets/calibration/calibration.jsonl"), 2, 256, 4, 0));
        vecinfer = KvCacheFactories.of(spec, books, AttentionPath.LOOKUP_TABLE);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static KvCacheFactory method(String name) {
        return name.equals("vecinfer") ? vecinfer : KvCacheFactories.of(MethodSpec.parse("kivi:k=b2g32,v=b2g32,r=32"), null, null);
    }

    /** Random in-vocabulary tokens, a fresh prompt per seed. */
    private static int[] prompt(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return random.ints(PROMPT, 0, model.config().vocabSize()).toArray();
    }

    private static Sequence<KvCache> sequence(CacheFactory<KvCache> caches) {
        return new Sequence<>(caches.create(model.kvLayout()));
    }

    private static float[][] allLogits(CacheFactory<KvCache> caches, int[] prompt) {
        try (Sequence<KvCache> s = sequence(caches)) {
            return decoder.forwardAll(List.of(s), List.of(prompt));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vecinfer", "kivi"})
    void everyPromptPositionHasTheFp16CachesLogits(String name) {
        int[] prompt = prompt(11);
        float[][] fp16 = allLogits(FP16, prompt);
        float[][] exact = allLogits(Prefill.EXACT.apply(method(name)), prompt);
        float[][] compressed = allLogits(Prefill.COMPRESSED.apply(method(name)), prompt);
        assertEquals(PROMPT, exact.length);
        for (int t = 0; t < PROMPT; t++) assertArrayEquals(fp16[t], exact[t], "position " + t);
        // The comparison has teeth: compressing from the first token changes the later positions.
        assertFalse(Arrays.equals(fp16[PROMPT - 1], compressed[PROMPT - 1]), name + " under prefill=compressed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vecinfer", "kivi"})
    void theFirstDecodedTokenSeesTheFp16PromptKvThroughTheEncoder(String name) {
        int[] prompt = prompt(12);
        int next = 7;
        KvLayout layout = model.kvLayout();

        // Reference: the prompt run with the fp16 cache, its KV (as stored) appended to a fresh compressed cache.
        KvCache fp16Prompt = FP16.create(layout);
        RecordingAppends recorded = new RecordingAppends(fp16Prompt);
        Sequence<KvCache> reference = new Sequence<>(recorded);
        decoder.forwardLast(List.of(reference), List.of(prompt));
        KvCache encoded = method(name).create(layout);
        recorded.replayInto(encoded);
        Sequence<KvCache> encodedSequence = new Sequence<>(encoded);
        encodedSequence.advance(PROMPT);
        float[] expected = decoder.forwardLast(List.of(encodedSequence), List.of(new int[]{next}))[0];
        float[] fp16Step = decoder.forwardLast(List.of(reference), List.of(new int[]{next}))[0];

        try (Sequence<KvCache> exact = sequence(Prefill.EXACT.apply(method(name)))) {
            decoder.forwardLast(List.of(exact), List.of(prompt));
            exact.endPrompt();
            assertEquals(PROMPT, exact.cache().length(0));
            long fp16PromptBytes = (long) PROMPT * layout.tokenWidth() * 2 * 2 * layout.layers();
            assertTrue(exact.cache().storedBytes() * 2 < fp16PromptBytes, "after prefill the prompt is held compressed");
            float[] actual = decoder.forwardLast(List.of(exact), List.of(new int[]{next}))[0];
            assertArrayEquals(expected, actual);
            assertFalse(Arrays.equals(fp16Step, actual), "the compressed prompt KV changes the first decoded token's logits");
        }
    }

    /** Passes appends to an fp16 cache and keeps a copy of each, as the cache rounded it. */
    private static final class RecordingAppends implements KvCache {
        private final KvCache inner;
        private final List<List<float[][]>> tokens;

        RecordingAppends(KvCache inner) {
            this.inner = inner;
            tokens = new java.util.ArrayList<>();
            for (int l = 0; l < inner.layout().layers(); l++) tokens.add(new java.util.ArrayList<>());
        }

        @Override
        public KvLayout layout() {
            return inner.layout();
        }

        @Override
        public void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
            int width = layout().tokenWidth();
            float[] key = new float[width], value = new float[width];
            for (int i = 0; i < width; i++) {
                key[i] = io.vecinfer.tensor.Half.roundToFp16(k[kOffset + i]);
                value[i] = io.vecinfer.tensor.Half.roundToFp16(v[vOffset + i]);
            }
            tokens.get(layer).add(new float[][]{key, value});
            inner.append(layer, k, kOffset, v, vOffset);
        }

        void replayInto(KvCache target) {
            for (int l = 0; l < tokens.size(); l++) {
                for (float[][] kv : tokens.get(l)) target.append(l, kv[0], 0, kv[1], 0);
            }
        }

        @Override
        public void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
            inner.attend(layer, q, qOffset, scale, out, outOffset);
        }

        @Override
        public int length(int layer) {
            return inner.length(layer);
        }

        @Override
        public long storedBytes() {
            return inner.storedBytes();
        }
    }
}
