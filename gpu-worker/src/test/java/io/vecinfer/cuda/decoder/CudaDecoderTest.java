package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the CUDA decoder with the device fp16 cache against the CPU decoder with DenseKvCache FP16, on the tiny
 * fixtures of every architecture (llama3 scaling, Mistral, Qwen2 biases, Qwen3 q/k norm and tied embeddings) and
 * on the shipped reference model (head_dim 128, GQA 2:1).
 *
 * <p>Tolerance: max |logit difference| ≤ 2e-3 · max |CPU logit| per forward pass. Both sides compute in fp32 with
 * the same weights and round K/V to fp16 the same way; they differ by the order of sums (≈1e-6 relative per
 * operation, compounded over the layers) and, rarely, by one fp16 ulp (≈5e-4 relative) of a cached element whose
 * fp32 value sat on a rounding boundary. A wrong weight, position, mask or cache slot moves logits by a large
 * fraction of their scale. Greedy tokens must agree wherever the CPU's top two logits are further apart than the
 * observed difference allows to swap.
 */
class CudaDecoderTest {
    private static final KvCacheFactory CPU_FP16 = DenseKvCache.factory(DenseKvCache.Precision.FP16);

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice cuda = new GpuDevice();

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "mistral", "qwen2", "qwen3"})
    void tinyCheckpointsMatchTheCpuDecoder(String arch) {
        prefillThenDecode(RepoPaths.fixtures().resolve("tiny").resolve(arch), new int[]{29, 7}, 6);
    }

    @Test
    void referenceModelMatchesTheCpuDecoder() {
        prefillThenDecode(RepoPaths.referenceModel(), new int[]{45, 12}, 8);
    }

    /**
     * The default, tensor-core projections, on the shipped bf16 model: prompts long enough for the gemm kernel (and
     * a 600-token one, chunked) and decode steps on the skinny one, against the fp32 CPU decoder.
     *
     * <p>Tolerance: {@link TensorCoreTolerance} (3% of max |CPU logit|, derived there). The worst observed ratio is
     * printed for the evidence file.
     */
    @Test
    void tensorCoresStayWithinTheBf16Bound() {
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), 2, CPU_FP16,
                DeviceKvCaches.fp16(cuda.device()), TensorCoreTolerance.RELATIVE, io.vecinfer.cuda.ops.Matmul.Precision.TENSOR_CORES)) {
            p.compareAll(List.of(random.ints(600, p.vocab()), random.ints(77, p.vocab())), "tensor-core prefill of 600 + 77 tokens");
            for (int step = 0; step < 8; step++) {
                p.compareLast(List.of(random.ints(1, p.vocab()), random.ints(1, p.vocab())), "tensor-core decode step " + step);
            }
            System.out.printf("tensor-core projections, reference model: worst max|Δlogit| / max|logit| = %.5f (bound %.0e)%n", p.worstRelative(), TensorCoreTolerance.RELATIVE);
        }
    }

    /**
     * Decode steps at batch 1 and 8 on the shipped model (head_dim 128): the batch attention path, one launch per kernel
     * for sequences of different lengths (1 token, lengths that are not multiples of the 128-position split, one over a
     * chunk), at the parity bound of the per-sequence path.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void batchedDecodeMatchesTheCpuDecoder(int batch) {
        int[] lengths = batch == 1 ? new int[]{300} : new int[]{1, 45, 130, 7, 600, 2, 129, 64};
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), batch, CPU_FP16,
                DeviceKvCaches.fp16(cuda.device()))) {
            List<int[]> prompts = new ArrayList<>();
            for (int n : lengths) prompts.add(random.ints(n, p.vocab()));
            p.compareAll(prompts, "prefill");
            for (int step = 0; step < 6; step++) {
                List<int[]> feed = new ArrayList<>();
                for (int s = 0; s < batch; s++) feed.add(random.ints(1, p.vocab()));
                assertTrue(DecodeBatch.applies(p.gpuSequences, feed), "a decode step of fp16 caches at head_dim 128 takes the batch path");
                p.compareLast(feed, "batch " + batch + " decode step " + step);
            }
            for (int s = 0; s < batch; s++) {
                for (int layer = 0; layer < p.model.config().numLayers(); layer++) {
                    assertEquals(lengths[s] + 6, p.gpuSequences.get(s).cache().length(layer), "tokens in layer " + layer + " of sequence " + s);
                }
            }
        }
    }

    /** Inputs over 512 rows run sequence by sequence in chunks of 512, through forwardAll and forwardLast. */
    @Test
    void longPrefillIsChunkedAsOnTheCpu() {
        try (DecoderPair p = new DecoderPair(cuda.device(), random, Model.load(RepoPaths.referenceModel()), 2, CPU_FP16, DeviceKvCaches.fp16(cuda.device()))) {
            p.compareAll(List.of(random.ints(600, p.vocab()), random.ints(130, p.vocab())), "prefill of 600 + 130 tokens");
            p.compareLast(List.of(random.ints(530, p.vocab()), random.ints(1, p.vocab())), "530 + 1 more tokens");
            assertEquals(p.cpuSequences.get(0).position(), p.gpuSequences.get(0).position());
            for (int layer = 0; layer < p.model.config().numLayers(); layer++) {
                assertEquals(1130, p.gpuSequences.get(0).cache().length(layer), "tokens in layer " + layer);
            }
            assertEquals(p.cpuSequences.get(0).cache().storedBytes(), p.gpuSequences.get(0).cache().storedBytes(), "fp16 bytes stored");
        }
    }

    @Test
    void aCpuCacheIsRejectedWithTheReason() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3")); CudaDecoder gpu = new CudaDecoder(model, cuda.device())) {
            Sequence cpuSequence = new Sequence(CPU_FP16.create(model.kvLayout()));
            var e = assertThrows(IllegalArgumentException.class, () -> gpu.forwardLast(List.of(cpuSequence), List.of(new int[]{1, 2})));
            assertTrue(e.getMessage().contains("sequence 0 has a DenseKvCache") && e.getMessage().contains("DeviceKvCaches.fp16"), e.getMessage());
            assertEquals(0, cpuSequence.position(), "nothing ran");
        }
    }

    @Test
    void aDeviceCacheRefusesTheCpuPath() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/llama3"));
             Sequence gpuSequence = new Sequence(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout()))) {
            var e = assertThrows(UnsupportedOperationException.class,
                    () -> new Decoder(model).forwardLast(List.of(gpuSequence), List.of(new int[]{1, 2})));
            assertTrue(e.getMessage().contains("attended by CudaDecoder"), e.getMessage());
        }
    }

    @Test
    void namesItsBackendAndDevice() {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/qwen3")); CudaDecoder gpu = new CudaDecoder(model, cuda.device())) {
            assertEquals("cuda", gpu.backend());
            assertEquals("cuda:0 (" + cuda.device().name() + ")", gpu.device());
        }
    }

    private void prefillThenDecode(Path folder, int[] lengths, int steps) {
        new DecoderPair(cuda.device(), random, Model.load(folder), lengths.length, CPU_FP16, DeviceKvCaches.fp16(cuda.device())).prefillThenDecode(lengths, steps);
    }

}
