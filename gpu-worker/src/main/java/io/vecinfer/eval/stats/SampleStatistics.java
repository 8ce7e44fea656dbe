package io.vecinfer.eval.stats;

/** Mean and spread of per-sample scores. */
public final class SampleStatistics {

    private SampleStatistics() {}

    public static double mean(double[] values) {
        requireSamples(values, 1);
        double sum = 0.0;
        for (double value : values) {
            sum += value;
        }
        return sum / values.length;
    }

    /** With Bessel's correction (n − 1), summing squared deviations from the mean (two passes). */
    public static double sampleStandardDeviation(double[] values) {
        requireSamples(values, 2);
        double mean = mean(values);
        double squares = 0.0;
        for (double value : values) {
            squares += (value - mean) * (value - mean);
        }
        return Math.sqrt(squares / (values.length - 1));
    }

    /** s / √n; NaN for a single sample, whose error cannot be estimated. */
    public static double standardError(double[] values) {
        requireSamples(values, 1);
        return values.length < 2 ? Double.NaN : sampleStandardDeviation(values) / Math.sqrt(values.length);
    }

    static void requireSamples(double[] values, int minimum) {
        if (values.length < minimum) {
            throw new IllegalArgumentException("need at least " + minimum + " samples, got " + values.length);
        }
    }
}
