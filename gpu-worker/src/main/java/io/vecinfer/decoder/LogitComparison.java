package io.vecinfer.decoder;

/**
 * Two forward passes over the same tokens, a tested cache and a reference cache, compared row by row (every new
 * token, sequence after sequence): what fidelity reads off their logits. The CPU computes it from its float rows
 * ({@link #of}), CUDA on the device (logits.cu).
 *
 * @param kl              KL(reference ‖ tested) in nats per row, as {@link LogitStatistics#klDivergence}
 * @param referenceArgmax the reference pass's argmax per row
 * @param testedArgmax    the tested pass's argmax per row
 */
public record LogitComparison(double[] kl, int[] referenceArgmax, int[] testedArgmax) {
    public LogitComparison {
        if (kl.length != referenceArgmax.length || kl.length != testedArgmax.length) {
            throw new IllegalArgumentException("one KL and two argmaxes per row");
        }
    }

    public int rows() {
        return kl.length;
    }

    /** Whether both passes pick the same greedy token at {@code row}. */
    public boolean top1Agrees(int row) {
        return referenceArgmax[row] == testedArgmax[row];
    }

    /** The CPU's arithmetic on rows of logits of the two passes. */
    public static LogitComparison of(float[][] reference, float[][] tested) {
        if (reference.length != tested.length) throw new IllegalArgumentException(reference.length + " reference rows, " + tested.length + " tested");
        double[] kl = new double[reference.length];
        int[] referenceArgmax = new int[reference.length], testedArgmax = new int[reference.length];
        for (int r = 0; r < reference.length; r++) {
            kl[r] = LogitStatistics.klDivergence(reference[r], tested[r]);
            referenceArgmax[r] = LogitStatistics.argmax(reference[r]);
            testedArgmax[r] = LogitStatistics.argmax(tested[r]);
        }
        return new LogitComparison(kl, referenceArgmax, testedArgmax);
    }
}
