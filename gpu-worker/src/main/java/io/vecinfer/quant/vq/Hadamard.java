package io.vecinfer.quant.vq;

/**
 * The orthonormal Walsh–Hadamard transform H_D (H_2k = [[H, H], [H, −H]] / √2), in place, in
 * D·log2(D) adds and one scaling pass. H is symmetric and orthonormal, so it is its own inverse:
 * applying it twice gives the input back, which is how dequantized keys return to the model's space.
 */
public final class Hadamard {
    private Hadamard() {
    }

    public static boolean isPowerOfTwo(int d) {
        return d > 0 && Integer.bitCount(d) == 1;
    }

    public static void transform(float[] x, int offset, int d) {
        if (!isPowerOfTwo(d)) throw new IllegalArgumentException("Hadamard transform needs a power-of-two length, got " + d);
        for (int half = 1; half < d; half <<= 1) {
            for (int block = offset; block < offset + d; block += 2 * half) {
                for (int i = block; i < block + half; i++) {
                    float a = x[i], b = x[i + half];
                    x[i] = a + b;
                    x[i + half] = a - b;
                }
            }
        }
        float scale = (float) (1.0 / Math.sqrt(d));
        for (int i = offset; i < offset + d; i++) x[i] *= scale;
    }
}
