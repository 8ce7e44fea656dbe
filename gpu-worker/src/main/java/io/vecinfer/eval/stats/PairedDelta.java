package io.vecinfer.eval.stats;

/**
 * The change of a method's score against the fp16 reference on the same samples. Its error comes
 * from the per-sample differences, not from the two errors combined: scores on the same sample are
 * correlated, and pairing removes the sample difficulty they share, giving a much tighter error.
 *
 * @param delta mean of (test − reference)
 */
public record PairedDelta(int n, double delta, double stderr) {

    public static PairedDelta analytic(double[] test, double[] reference) {
        return of(Summary.analytic(differences(test, reference)));
    }

    public static PairedDelta bootstrap(double[] test, double[] reference, long seed, int resamples) {
        return of(Summary.bootstrap(differences(test, reference), seed, resamples));
    }

    public static double[] differences(double[] test, double[] reference) {
        if (test.length != reference.length) {
            throw new IllegalArgumentException(
                    "paired scores need equal lengths, got " + test.length + " and " + reference.length);
        }
        double[] differences = new double[test.length];
        for (int i = 0; i < test.length; i++) {
            differences[i] = test[i] - reference[i];
        }
        return differences;
    }

    private static PairedDelta of(Summary differences) {
        return new PairedDelta(differences.n(), differences.mean(), differences.stderr());
    }
}
