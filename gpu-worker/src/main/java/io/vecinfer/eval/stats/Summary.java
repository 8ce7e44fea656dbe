package io.vecinfer.eval.stats;

/** What every aggregate row reports: how many samples, their mean, and the mean's standard error. */
public record Summary(int n, double mean, double stderr) {

    public static Summary analytic(double[] values) {
        return new Summary(values.length, SampleStatistics.mean(values), SampleStatistics.standardError(values));
    }

    public static Summary bootstrap(double[] values, long seed, int resamples) {
        return new Summary(values.length, SampleStatistics.mean(values), Bootstrap.standardError(values, seed, resamples));
    }
}
