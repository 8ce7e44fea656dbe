package io.vecinfer.cuda;

import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.Half;
import io.vecinfer.tensor.WeightMatrix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Fresh random inputs for kernel and reference tests; the seed goes into failure messages so a failure can be replayed. */
public final class RandomInputs {
    public final long seed;
    private final SplittableRandom random;

    public RandomInputs() {
        this(Long.getLong("vecinfer.test.seed", System.nanoTime()));
    }

    public RandomInputs(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** Uniform in [-scale, scale). */
    public float[] floats(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        return a;
    }

    public int[] ints(int n, int bound) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = random.nextInt(bound);
        return a;
    }

    /** fp16 bits of uniform values in [-scale, scale). */
    public short[] halves(int n, double scale) {
        float[] f = floats(n, scale);
        short[] h = new short[n];
        for (int i = 0; i < n; i++) h[i] = Half.fromFloat(f[i]);
        return h;
    }

    /** A rows × cols weight in dtype (values uniform in [-scale, scale) rounded to it), in a direct little-endian buffer. */
    public WeightMatrix matrix(DType dtype, int rows, int cols, double scale) {
        float[] v = floats(rows * cols, scale);
        ByteBuffer b = ByteBuffer.allocateDirect(rows * cols * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            switch (dtype) {
                case F32 -> b.putFloat(f);
                case BF16 -> b.putShort(Half.floatToBf16(f));
                case F16 -> b.putShort(Half.fromFloat(f));
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        return new WeightMatrix(b.flip(), dtype, rows, cols);
    }

    @Override
    public String toString() {
        return "seed " + seed + " (-Dvecinfer.test.seed=" + seed + " replays it)";
    }
}
