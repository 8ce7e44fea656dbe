package io.vecinfer.eval.stats;

import java.util.SplittableRandom;

/**
 * Bootstrap standard error of the mean. Seeded with SplittableRandom, whose sequence the JDK
 * specifies, so a seed gives the same error on every machine and JDK, as the results must.
 */
public final class Bootstrap {

    private Bootstrap() {}

    /** The standard deviation (n − 1) of the means of {@code resamples} resamples with replacement. */
    public static double standardError(double[] values, long seed, int resamples) {
        SampleStatistics.requireSamples(values, 1);
        if (resamples < 2) {
            throw new IllegalArgumentException("need at least 2 resamples, got " + resamples);
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double sum = 0.0;
            for (int k = 0; k < values.length; k++) {
                sum += values[random.nextInt(values.length)];
            }
            means[r] = sum / values.length;
        }
        return SampleStatistics.sampleStandardDeviation(means);
    }
}
