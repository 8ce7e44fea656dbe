package io.vecinfer.cuda.decoder;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.VqKvCache;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GPU: the CUDA decoder with device VQ caches against the CPU decoder with {@link VqKvCache} (lookup-table path),
 * on the shipped reference model with codebooks calibrated on the shipped calibration text. The residual window
 * is small (R = 32), so blocks are flushed inside the prefill chunks and again during decoding, and one case
 * prefills 1100 tokens in three chunks (the code arrays grow past their first 1024 positions).
 *
 * <p>Tolerance: 1e-2 · max |logit| (fp16 caches get 2e-3). Both sides encode the same fp16 keys and values with
 * the same codebooks, but the CPU's nearest-codeword search ranks by ‖c‖² − 2x·c (Vector API) and the kernel by
 * the exact squared distance, so where two codewords are equally near within fp32 rounding they may pick different
 * ones (VqReferencesTest bounds this to genuine ties, under 0.1% of codes; VqEncodeKernelGpuTest shows the kernel
 * equals its reference). Either codeword is an equally good approximation, but they can sit far apart, so a flipped
 * code moves a score by up to the quantization error: with 4096 codewords (d8b12) such ties are frequent enough to
 * move logits by ~4e-3 · max. Indexing, window or merge errors move them by a large fraction of max. The
 * stored-byte accounting must be identical.
 *
 * <p>Under prefill=exact the CPU side is {@code ExactPrefillKvCache} around {@link VqKvCache} (the oracle) and the GPU
 * side the device cache's exact mode: the prompt passes are fp16 attention on both sides, then the prompt is encoded
 * when it ends (one launch per layer on the device, token by token replay on the CPU) and decoding attends codes plus
 * window, under the same bound. The stored bytes compared after decoding include the encoded prompt.
 */
class DeviceVqKvCacheTest {
    private static final Calibrator.Settings QUICK = new Calibrator.Settings(
            RepoPaths.root().resolve("datasets/calibration/calibration.jsonl"), 2, 512, 4, 0);

    private static final double RELATIVE = 1e-2;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "vecinfer:k=d4b8,v=d4b8,r=32; 300 140; 40; compressed",
            "vecinfer:k=d8b12,v=d8b8,r=32; 300 140; 40; compressed",
            "rawvq:k=d4b8,v=d4b8,r=32,scope=subspace; 300 140; 40; compressed",
            "vecinfer:k=d4b8,v=d4b8,r=32,smooth=off,scope=head; 1100 70; 24; compressed",
            // prefill=exact: prompts of 2R - 14 (nothing to encode), 300, and 1170 (past the first 1024 code positions; its
            // window [1120, 1170) wraps the 576-position window ring when it moves there)
            "vecinfer:k=d4b8,v=d4b8,r=32; 300 50; 40; exact",
            "vecinfer:k=d8b12,v=d8b8,r=32; 300 140; 40; exact",
            "rawvq:k=d4b8,v=d4b8,r=32,scope=subspace; 140 300; 40; exact",
            "vecinfer:k=d4b8,v=d4b8,r=32,smooth=off,scope=head; 1170 70; 24; exact"})
    void vqCachesMatchTheCpuCache(String method, String lengths, int steps, String prefill) {
        VqSpec spec = (VqSpec) io.vecinfer.quant.MethodSpec.parse(method);
        Model model = Model.load(RepoPaths.referenceModel());
        CodebookSet books = Calibrator.calibrate(model, Tokenizer.load(RepoPaths.referenceModel().resolve("tokenizer.json")), spec, QUICK);
        try (DeviceVqMethod onDevice = new DeviceVqMethod(gpu.device(), books)) {
            Prefill when = Prefill.parse(prefill);
            DecoderPair pair = new DecoderPair(gpu.device(), random, model, 2, when.apply(VqKvCache.factory(books, AttentionPath.LOOKUP_TABLE)),
                    when.apply(onDevice), RELATIVE, io.vecinfer.cuda.ops.Matmul.Precision.EXACT);
            int[] n = java.util.Arrays.stream(lengths.split(" ")).mapToInt(Integer::parseInt).toArray();
            List<Sequence<KvCache>> cpu = pair.cpuSequences;
            List<Sequence<DeviceKvCache>> gpu = pair.gpuSequences;
            pair.prefillThenDecode(n, steps);
            for (int s = 0; s < n.length; s++) {
                assertEquals(cpu.get(s).cache().storedBytes(), gpu.get(s).cache().storedBytes(), method + ": stored bytes of sequence " + s);
                assertEquals(cpu.get(s).cache().length(0), gpu.get(s).cache().length(0), method + ": tokens of sequence " + s);
            }
        }
    }
}
