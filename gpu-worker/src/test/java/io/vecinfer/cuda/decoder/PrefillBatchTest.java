package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the CUDA decoder's batch prefill path ({@link PrefillBatch}: one store and one attention launch per layer for the
 * whole batch) gives the per-sequence path's logits bit for bit (it runs the same code per CTA), on the shipped
 * reference model (head_dim 128, GQA 2:1, tensor-core projections, so the wgmma prefill kernel on the H200): a batch of
 * prompts of different lengths (5, just above the decode kernel's, to 1000, none a multiple of 64), then a second pass
 * continuing every sequence (starts > 0), then decode steps over what the passes stored; for fp16 caches and for KIVI
 * caches under prefill=exact (whose prompt is a dense fp16 cache until it ends). The launches of a batch pass must be
 * the per-sequence pass's less 2 · (sequences - 1) per layer: the batch path ran. No logit may be NaN.
 */
class PrefillBatchTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice cuda = new GpuDevice();

    @Test
    void fp16CachesGetThePerSequenceLogits() {
        compare(DeviceKvCaches.fp16(cuda.device()), true);
    }

    @Test
    void exactKiviPromptsGetThePerSequenceLogits() {
        try (DeviceKiviMethod kivi = new DeviceKiviMethod(cuda.device(), (KiviSpec) MethodSpec.parse("kivi:k=b2g32,v=b2g32,r=32"))) {
            compare(Prefill.EXACT.apply(kivi), false);
        }
    }

    /** {@code countLaunches}: every pass fits one chunk (KIVI's caches take 512 rows a pass, so the passes are chunked). */
    private void compare(CacheFactory<DeviceKvCache> caches, boolean countLaunches) {
        int[] prompt = {300, 5, 129, 1000, 64, 77}, more = {50, 200, 6, 130, 9, 64};
        try (Model model = Model.load(RepoPaths.referenceModel()); CudaDecoder gpu = new CudaDecoder(model, cuda.device())) {
            int n = prompt.length, vocab = model.config().vocabSize(), layers = model.config().numLayers();
            List<Sequence<DeviceKvCache>> batched = new ArrayList<>(), own = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                batched.add(new Sequence<>(caches.create(model.kvLayout())));
                own.add(new Sequence<>(caches.create(model.kvLayout())));
            }
            try {
                for (int[] lengths : new int[][]{prompt, more}) {
                    List<int[]> feed = new ArrayList<>();
                    for (int t : lengths) feed.add(random.ints(t, vocab));
                    assertTrue(PrefillBatch.applies(batched, feed), "a pass of dense fp16 prefills takes the batch path");
                    gpu.batchPrefill(true);
                    float[][] a = gpu.forwardAll(batched, feed);
                    long batchLaunches = gpu.lastStep().launches();
                    gpu.batchPrefill(false);
                    float[][] b = gpu.forwardAll(own, feed);
                    long ownLaunches = gpu.lastStep().launches();
                    gpu.batchPrefill(true);
                    String what = "pass of " + java.util.Arrays.toString(lengths) + " tokens, " + caches.spec() + ", " + random;
                    check(b, a, what);
                    if (countLaunches) assertEquals(ownLaunches - 2L * (n - 1) * layers, batchLaunches, what + ": launches");
                }
                batched.forEach(Sequence::endPrompt);
                own.forEach(Sequence::endPrompt);
                for (int step = 0; step < 3; step++) {
                    List<int[]> feed = new ArrayList<>();
                    for (int s = 0; s < n; s++) feed.add(random.ints(1, vocab));
                    check(gpu.forwardLast(own, feed), gpu.forwardLast(batched, feed), "decode step " + step + " after the passes, " + caches.spec() + ", " + random);
                }
                for (int s = 0; s < n; s++) {
                    for (int layer = 0; layer < layers; layer++) {
                        assertEquals(prompt[s] + more[s] + 3, batched.get(s).cache().length(layer), "tokens in layer " + layer + " of sequence " + s);
                    }
                    assertEquals(own.get(s).cache().storedBytes(), batched.get(s).cache().storedBytes(), "bytes stored by sequence " + s);
                }
            } finally {
                Sequence.closeAll(batched);
                Sequence.closeAll(own);
            }
        }
    }

    private static void check(float[][] expected, float[][] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": rows");
        for (int r = 0; r < expected.length; r++) {
            int row = r;
            for (float x : actual[r]) assertFalse(Float.isNaN(x), () -> what + ": a NaN logit in row " + row);
            int[] e = new int[expected[r].length], a = new int[actual[r].length];
            for (int i = 0; i < e.length; i++) e[i] = Float.floatToRawIntBits(expected[r][i]);
            for (int i = 0; i < a.length; i++) a[i] = Float.floatToRawIntBits(actual[r][i]);
            assertArrayEquals(e, a, () -> what + ": logits of row " + row + ", bit for bit");
        }
    }
}
