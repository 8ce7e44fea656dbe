package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.kivi.KiviKvCache;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GPU: the CUDA decoder with device KIVI caches against the CPU decoder with {@link KiviKvCache}, on the shipped
 * reference model, under prefill=compressed and prefill=exact. The window is small (R = 32), so blocks are flushed inside
 * the prefill chunks and during decoding; one case prefills 1170 tokens (the arrays grow past their first 1024
 * positions; under exact, the window moved at the prompt's end wraps the window ring).
 *
 * <p>Tolerance: 1e-2 · max |logit|, as for the VQ caches. Both sides quantize the fp16 keys and values with the same
 * arithmetic (KiviKernelsGpuTest: bit-identical codes and parameters), but the GPU decoder's keys and values differ from
 * the CPU's by fp32 rounding, so an element may round to the neighbouring fp16 value, and where (x − zero) / scale sits
 * at a half its code moves one step, a change of one quantization step in that element. Indexing, grouping or merge
 * errors move logits by a large fraction of max. The stored-byte accounting must be identical.
 */
class DeviceKiviKvCacheTest {
    private static final double RELATIVE = 1e-2;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "kivi:k=b2g32,v=b2g32,r=32; 300 140; 40; compressed",
            "kivi:k=b4g24,v=b2g48,r=32; 300 50; 40; compressed",
            "kivi:k=b2g32,v=b2g32,r=32; 1170 70; 24; compressed",
            "kivi:k=b2g32,v=b2g32,r=32; 300 50; 40; exact",
            "kivi:k=b4g24,v=b2g48,r=32; 140 300; 40; exact",
            "kivi:k=b2g32,v=b2g32,r=32; 1170 70; 24; exact"})
    void kiviCachesMatchTheCpuCache(String method, String lengths, int steps, String prefill) {
        KiviSpec spec = (KiviSpec) MethodSpec.parse(method);
        Model model = Model.load(RepoPaths.referenceModel());
        try (DeviceKiviMethod onDevice = new DeviceKiviMethod(gpu.device(), spec)) {
            Prefill when = Prefill.parse(prefill);
            DecoderPair pair = new DecoderPair(gpu.device(), random, model, 2, when.apply(KiviKvCache.factory(spec)), when.apply(onDevice),
                    RELATIVE, io.vecinfer.cuda.ops.Matmul.Precision.EXACT);
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
