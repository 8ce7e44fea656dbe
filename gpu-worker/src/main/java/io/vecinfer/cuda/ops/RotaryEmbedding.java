package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.model.Rope;

/**
 * The rope family (rope.cu): rotates rows of heads × headDim floats in place (a pass's queries and keys in one
 * launch) by per-row cos/sin tables that the host computes with {@link Rope#angles} (so every frequency scaling is exactly the CPU's).
 */
public final class RotaryEmbedding {
    private final CudaDevice device;

    public RotaryEmbedding(CudaDevice device) {
        this.device = device;
    }

    /** cos and sin tables, rows × headDim/2 each, for tokens at the given positions. */
    public record Tables(float[] cos, float[] sin) {
        public static Tables at(Rope rope, int headDim, int[] positions) {
            return new RotaryRows(rope, headDim).at(positions);
        }
    }

    /** Rotates x (rows × heads × headDim) in place; cos/sin hold rows × headDim/2 floats. */
    public void launch(DeviceBuffer.Slice x, DeviceBuffer.Slice cos, DeviceBuffer.Slice sin, int rows, int heads, int headDim) {
        launch(x, heads, null, 0, cos, sin, rows, headDim);
    }

    /**
     * Rotates a pass's queries q (rows × qHeads × headDim) and keys k (rows × kHeads × headDim) in place, in one
     * launch; cos/sin hold rows × headDim/2 floats.
     */
    public void launch(DeviceBuffer.Slice q, int qHeads, DeviceBuffer.Slice k, int kHeads, DeviceBuffer.Slice cos, DeviceBuffer.Slice sin,
                       int rows, int headDim) {
        if (qHeads < 1 || kHeads < 0 || (kHeads > 0) != (k != null)) throw new IllegalArgumentException("qHeads " + qHeads + ", kHeads " + kHeads);
        long pairs = (long) rows * (qHeads + kHeads) * (headDim / 2);
        device.module("rope").kernel("rope").launch(Matmul.ceilDiv(pairs, 256), 1, 1, 256, 0,
                q, qHeads, k != null ? k : q, kHeads, cos, sin, rows, headDim);
    }

    /** The kernel's arithmetic, rounded at the same steps (no fused multiply-add): bit-identical to {@link Rope#apply}. */
    public static void reference(float[] x, float[] cos, float[] sin, int rows, int heads, int headDim) {
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int at = (r * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    float a = x[at + i], b = x[at + i + half], c = cos[r * half + i], s = sin[r * half + i];
                    x[at + i] = a * c - b * s;
                    x[at + i + half] = b * c + a * s;
                }
            }
        }
    }
}
