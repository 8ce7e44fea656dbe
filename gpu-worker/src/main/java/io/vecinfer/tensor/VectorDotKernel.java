package io.vecinfer.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SIMD dot products. bf16 widens to float32 by a 16-bit left shift of each lane, so a bf16 row is read
 * at half the bytes of an fp32 one and never copied. Only loaded when the incubator module is present.
 */
final class VectorDotKernel implements DotKernel {
    static final VectorDotKernel INSTANCE = new VectorDotKernel();

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(F.vectorBitSize() / 2));

    private VectorDotKernel() {
    }

    @Override
    public float dotF32(ByteBuffer w, int wIndex, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            FloatVector wv = FloatVector.fromByteBuffer(F, w, 4 * (wIndex + i), ByteOrder.LITTLE_ENDIAN);
            acc = wv.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += w.getFloat(4 * (wIndex + i)) * x[xOffset + i];
        return sum;
    }

    @Override
    public float dotBF16(ByteBuffer w, int wIndex, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            ShortVector raw = ShortVector.fromByteBuffer(S, w, 2 * (wIndex + i), ByteOrder.LITTLE_ENDIAN);
            FloatVector wv = ((IntVector) raw.convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = wv.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += Half.bf16ToFloat(w.getShort(2 * (wIndex + i))) * x[xOffset + i];
        return sum;
    }

    @Override
    public float dotF16(ByteBuffer w, int wIndex, float[] x, int xOffset, int n) {
        // Java 17's Vector API has no fp16 conversion; fp16 checkpoints take the table-driven scalar path.
        return ScalarDotKernel.INSTANCE.dotF16(w, wIndex, x, xOffset, n);
    }
}
