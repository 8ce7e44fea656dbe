package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.quant.TestData;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** merge_states and merge_splits against {@link MergeStatesKernel}'s references (skips without a GPU). */
class MergeStatesKernelGpuTest {
    private static final int STATES = 37, D = 128, PARTS = 5;

    /**
     * Random states, a fifth of them empty (lse = −inf), every state of part 0 empty for the first few:
     * o within 1e-6 relative (same operations in the same order; expf/logf differ from Java's by an ulp or two),
     * lse within 1e-6 absolute, and −inf exactly where the reference has it. merge_states also in place.
     */
    @Test
    void kernelsMergeAsTheReferences() {
        Random random = new Random(System.nanoTime());
        float[] oParts = TestData.gaussian(random, PARTS * STATES * D), lseParts = new float[PARTS * STATES];
        for (int i = 0; i < lseParts.length; i++) lseParts[i] = random.nextInt(5) == 0 || i % STATES < 3 ? Float.NEGATIVE_INFINITY : (float) (4 * random.nextGaussian());
        float[] o1 = java.util.Arrays.copyOfRange(oParts, 0, STATES * D), o2 = java.util.Arrays.copyOfRange(oParts, STATES * D, 2 * STATES * D);
        float[] lse1 = java.util.Arrays.copyOfRange(lseParts, 0, STATES), lse2 = java.util.Arrays.copyOfRange(lseParts, STATES, 2 * STATES);
        float[] twoO = new float[STATES * D], twoLse = new float[STATES], splitO = new float[STATES * D], splitLse = new float[STATES];
        MergeStatesKernel.reference(o1, lse1, o2, lse2, STATES, D, twoO, twoLse);
        MergeStatesKernel.referenceSplits(oParts, lseParts, PARTS, STATES, D, splitO, splitLse);
        try (CudaDevice device = Gpu.device();
             DeviceBuffer parts = device.upload(oParts); DeviceBuffer partLse = device.upload(lseParts);
             DeviceBuffer a = device.upload(o1); DeviceBuffer aLse = device.upload(lse1);
             DeviceBuffer b = device.upload(o2); DeviceBuffer bLse = device.upload(lse2);
             DeviceBuffer o = device.allocate(4L * STATES * D); DeviceBuffer lse = device.allocate(4L * STATES)) {
            MergeStatesKernel merge = new MergeStatesKernel(device);
            merge.launch(a.from(0), aLse, b, bLse, STATES, D, o.from(0), lse);
            assertClose(twoO, twoLse, o.readFloats(), lse.readFloats());
            merge.launch(a.from(0), aLse, b, bLse, STATES, D, a.from(0), aLse); // in place over the first part
            assertClose(twoO, twoLse, a.readFloats(), aLse.readFloats());
            merge.launchSplits(parts, partLse, PARTS, STATES, D, o, lse);
            assertClose(splitO, splitLse, o.readFloats(), lse.readFloats());
        }
    }

    static void assertClose(float[] expectedO, float[] expectedLse, float[] o, float[] lse) {
        assertTrue(TestData.relativeError(o, expectedO) <= 1e-6, "relative difference " + TestData.relativeError(o, expectedO));
        for (int i = 0; i < lse.length; i++) {
            if (expectedLse[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, lse[i], "state " + i);
            else assertEquals(expectedLse[i], lse[i], 1e-6 * Math.max(1, Math.abs(expectedLse[i])), "state " + i);
        }
    }
}
