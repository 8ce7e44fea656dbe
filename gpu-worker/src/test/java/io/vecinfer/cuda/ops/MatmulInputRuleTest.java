package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.safetensors.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPU: the types of projection inputs ({@link Activation}, {@link Matmul#inputType}, which paths take which, and the
 * refusal of the others; a 16-bit rmsnorm output never over its input), and when {@link Matmul#swiGlu} fuses into the
 * WGMMA epilogue.
 */
class MatmulInputRuleTest {
    private static final DeviceBuffer.Slice ALIGNED = new DeviceBuffer.Slice(null, 0);

    @Test
    void theGemmPathsReadTheWeightsTypeTheOthersFp32() {
        for (DType weights : new DType[]{DType.BF16, DType.F16}) {
            assertEquals(DType.F32, Matmul.inputType(Matmul.Path.CUDA_CORES, weights));
            assertEquals(DType.F32, Matmul.inputType(Matmul.Path.SKINNY, weights), "the skinny kernel rounds fp32 x in registers");
            for (Matmul.Path p : new Matmul.Path[]{Matmul.Path.GEMM, Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
                assertEquals(weights, Matmul.inputType(p, weights), p + " reads x in the weights' type");
            }
        }
        assertEquals(DType.F32, Matmul.inputType(Matmul.Path.CUDA_CORES, DType.F32));
    }

    @Test
    void fp32IsTakenEverywhereSixteenBitsOnlyWhereReadAsTheyAre() {
        for (Matmul.Path p : Matmul.Path.values()) {
            assertTrue(Matmul.accepts(p, DType.BF16, DType.F32), p + " converts fp32 where it must");
        }
        assertTrue(Matmul.accepts(Matmul.Path.GEMM, DType.BF16, DType.BF16));
        assertTrue(Matmul.accepts(Matmul.Path.WGMMA, DType.F16, DType.F16));
        assertFalse(Matmul.accepts(Matmul.Path.WGMMA_NARROW, DType.BF16, DType.F16), "the other 16-bit type");
        assertFalse(Matmul.accepts(Matmul.Path.SKINNY, DType.BF16, DType.BF16), "the skinny kernel reads fp32");
        assertFalse(Matmul.accepts(Matmul.Path.CUDA_CORES, DType.BF16, DType.BF16), "the exact path reads fp32");
    }

    /** A refused input fails before anything is launched, naming what the path reads. */
    @Test
    void aSixteenBitInputToAnFp32PathIsRefusedWithTheReason() {
        Matmul matmul = new Matmul(null, Matmul.Precision.TENSOR_CORES, Matmul.WgmmaLoads.CP_ASYNC, Matmul.WgmmaGrid.CTA_PER_TILE);
        DeviceMatrix w = new DeviceMatrix(null, DType.BF16, 64, 128);
        Activation x = new Activation(ALIGNED, DType.BF16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> matmul.launch(w, x, 8, null, Matmul.Outputs.of(ALIGNED, 64), Matmul.Path.SKINNY));
        assertTrue(e.getMessage().contains("SKINNY") && e.getMessage().contains("F32") && e.getMessage().contains("BF16"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> matmul.launch(w, x, 8, null, Matmul.Outputs.of(ALIGNED, 64), Matmul.Path.CUDA_CORES));
        assertThrows(IllegalArgumentException.class,
                () -> matmul.launch(w, new Activation(ALIGNED, DType.F16), 64, null, Matmul.Outputs.of(ALIGNED, 64), Matmul.Path.GEMM));
    }

    @Test
    void swiGluFusesOnlyWithWholeSumsOfWholeBlocksInTheWeightsType() {
        Activation bf16 = new Activation(ALIGNED, DType.BF16);
        assertTrue(Matmul.swiGluFuses(DType.BF16, 64, 64, 14336, bf16), "the 8B's gate|up at 4096 rows");
        assertFalse(Matmul.swiGluFuses(DType.BF16, 64, 32, 14336, bf16), "split k: partial sums");
        assertFalse(Matmul.swiGluFuses(DType.BF16, 64, 64, 14336, Activation.f32(ALIGNED)), "an fp32 h (a down projection on CUDA cores)");
        assertFalse(Matmul.swiGluFuses(DType.F16, 64, 64, 14336, bf16), "h of another type than the weights");
        assertFalse(Matmul.swiGluFuses(DType.BF16, 64, 64, 14332, bf16), "a partial block of 4 units");
        assertFalse(Matmul.swiGluFuses(DType.BF16, 64, 64, 14336, new Activation(new DeviceBuffer.Slice(null, 2), DType.BF16)), "pairs stored as words");
        assertTrue(Matmul.swiGluFuses(DType.F16, 1, 1, 8, new Activation(new DeviceBuffer.Slice(null, 4), DType.F16)));
    }

    @Test
    void swiGluRefusesAnOddWeightAndAnHOverlappingTheProduct() {
        Matmul matmul = new Matmul(null, Matmul.Precision.TENSOR_CORES, Matmul.WgmmaLoads.CP_ASYNC, Matmul.WgmmaGrid.CTA_PER_TILE);
        Activation x = Activation.f32(ALIGNED);
        assertThrows(IllegalArgumentException.class,
                () -> matmul.swiGlu(new DeviceMatrix(null, DType.BF16, 63, 64), x, 8, ALIGNED, Activation.f32(new DeviceBuffer.Slice(null, 1 << 20)),
                        Matmul.Path.SKINNY));
        DeviceMatrix w = new DeviceMatrix(null, DType.BF16, 64, 64);
        // 8 rows × 64 fp32 products = 2048 bytes from 0: an h from byte 1024 overlaps them.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> matmul.swiGlu(w, x, 8, ALIGNED, Activation.f32(new DeviceBuffer.Slice(null, 1024)), Matmul.Path.SKINNY));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
    }

    /** A 16-bit norm into its own input would write rows that other CTAs still read; fp32 in place stays allowed. */
    @Test
    void aSixteenBitRmsNormOutputMustNotOverlapItsInput() {
        RmsNorm norm = new RmsNorm(null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> norm.launch(ALIGNED, null, 1e-6f, 4, 256, new Activation(new DeviceBuffer.Slice(null, 2048), DType.BF16)));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void activationsKnowTheirElementSize() {
        Activation h = new Activation(new DeviceBuffer.Slice(null, 64), DType.BF16);
        assertEquals(64 + 2 * 4096, h.at(4096).data().byteOffset());
        assertEquals(DType.BF16, h.at(1).type());
        assertEquals(4L * 10, Activation.f32(ALIGNED).at(10).data().byteOffset());
        assertEquals(20, h.bytes(10));
        assertTrue(h.sixteenBit());
        assertFalse(Activation.f32(ALIGNED).sixteenBit());
        assertThrows(IllegalArgumentException.class, () -> new Activation(ALIGNED, DType.I32));
        assertThrows(NullPointerException.class, () -> new Activation(null, DType.F32));
    }

    @Test
    void overlapIsWithinOneBuffer() {
        DeviceBuffer.Slice a = new DeviceBuffer.Slice(null, 0), b = new DeviceBuffer.Slice(null, 100);
        assertTrue(Activation.overlap(a, 101, b, 1));
        assertFalse(Activation.overlap(a, 100, b, 1), "touching is not overlapping");
        assertFalse(Activation.overlap(b, 50, a, 100));
        assertTrue(Activation.overlap(b, 50, a, 101));
        assertFalse(Activation.overlap(a, 0, a, 10), "nothing overlaps no bytes");
    }
}
