package io.vecinfer.tensor;

import java.nio.ByteBuffer;

/**
 * Dot products of a stored weight row (little-endian bytes of F32, BF16 or F16) with a float32 vector.
 * Two implementations compute the same sums: a scalar loop, and the Vector API one, which is used
 * where the jdk.incubator.vector module is present (it is added by the project's launchers and tests).
 */
public interface DotKernel {

    float dotF32(ByteBuffer w, int wIndex, float[] x, int xOffset, int n);

    float dotBF16(ByteBuffer w, int wIndex, float[] x, int xOffset, int n);

    float dotF16(ByteBuffer w, int wIndex, float[] x, int xOffset, int n);

    /** The fastest kernel this JVM can run; -Dvecinfer.vector=false forces the scalar one. */
    static DotKernel best() {
        boolean wanted = !"false".equals(System.getProperty("vecinfer.vector"));
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        return wanted && present ? VectorDotKernel.INSTANCE : ScalarDotKernel.INSTANCE;
    }
}
