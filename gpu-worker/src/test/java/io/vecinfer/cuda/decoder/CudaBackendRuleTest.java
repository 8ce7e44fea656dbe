package io.vecinfer.cuda.decoder;

import io.vecinfer.kvcache.Prefill;
import io.vecinfer.quant.MethodSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which cells the GPU takes (CPU-only: the rule, no device): fp16, VQ and KIVI under either prefill; fp32 goes to the CPU backend. */
class CudaBackendRuleTest {

    @Test
    void compressedCellsRunOnTheGpuUnderEitherPrefill() {
        for (String vq : new String[]{"vecinfer:k=d4b8,v=d4b8,r=128", "rawvq:k=d8b12,v=d8b12,r=128"}) {
            assertTrue(CudaBackend.hasKernels(MethodSpec.parse(vq), Prefill.COMPRESSED), vq);
            assertTrue(CudaBackend.hasKernels(MethodSpec.parse(vq), Prefill.EXACT), vq);
        }
        assertTrue(CudaBackend.hasKernels(MethodSpec.parse("fp16"), Prefill.EXACT));
        assertTrue(CudaBackend.hasKernels(MethodSpec.parse("fp16"), Prefill.COMPRESSED));
        assertTrue(CudaBackend.hasKernels(MethodSpec.parse("kivi:k=b2g32,v=b2g32,r=32"), Prefill.COMPRESSED));
        assertTrue(CudaBackend.hasKernels(MethodSpec.parse("kivi:k=b2g32,v=b2g32,r=32"), Prefill.EXACT));
        assertFalse(CudaBackend.hasKernels(MethodSpec.parse("fp32"), Prefill.EXACT));
    }
}
