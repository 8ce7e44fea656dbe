package io.vecinfer.bench;

import java.util.SplittableRandom;

/** The benchmarks' random inputs: one normal draw (Box–Muller), so every benchmark draws its inputs the same way. */
final class BenchRandom {
    private BenchRandom() {
    }

    /** A standard normal sample from two uniform draws (1 − u keeps the log finite). */
    static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** {@code n} standard normal samples, as floats. */
    static float[] gaussians(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) gaussian(random);
        return a;
    }
}
