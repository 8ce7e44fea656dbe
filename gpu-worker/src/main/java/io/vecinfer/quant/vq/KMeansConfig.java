package io.vecinfer.quant.vq;

/**
 * @param iterations Lloyd iterations after k-means++ init (the paper uses 30)
 * @param threads    threads for the assignment step; the result does not depend on it
 */
public record KMeansConfig(int iterations, long seed, int threads) {
    public static final int PAPER_ITERATIONS = 30;

    public KMeansConfig {
        if (iterations < 0) throw new IllegalArgumentException("k-means iterations " + iterations + " < 0");
        if (threads < 1) throw new IllegalArgumentException("k-means threads " + threads + " < 1");
    }
}
