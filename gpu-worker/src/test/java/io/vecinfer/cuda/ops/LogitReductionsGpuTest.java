package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.TokenScores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the logit reductions of logits.cu against {@link LogitReductions#scoreReference} / {@link LogitReductions#compareReference}
 * on fresh random logits, outputs poisoned first (NaN; a finite sentinel where NaN is the expected answer).
 *
 * <p>Shapes: vocabularies of 1000 and 128256 (neither a multiple of the 256-thread block), 1, 7 and 300 rows. Rows
 * carry the cases the CPU's scan decides: the maximum at two indices (the lower must win), masked tokens (−∞, at the
 * same indices in both matrices), rows without a target.
 *
 * <p>Tolerance: both sides sum exp in double over the vocabulary in different orders, so each log Σ is within about
 * vocab · 2^-53 of the exact value and the two within twice that; the max and argmax are exact. A log-probability
 * may differ by 4 · vocab · 2^-53. KL = Σ p (log p − log q) moves by the log-sums' errors times (1 + Σ p |log p − log q|),
 * and |log p − log q| ≤ 4Δ for Δ = max |reference − tested| in the row: we allow 16 · vocab · 2^-53 · (1 + 4Δ). A wrong
 * stride, a lost block partial or a float sum would miss these by orders of magnitude.
 */
class LogitReductionsGpuTest {
    private static final double U = 0x1p-53;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @Test
    void scoresAndComparisonsMatchTheReference() {
        try (LogitReductions reductions = new LogitReductions(gpu.device())) {
            for (int vocab : new int[]{1000, 128256}) {
                for (int rows : new int[]{1, 7, 300}) {
                    String what = rows + " rows × " + vocab + ", " + random;
                    System.out.println("checking " + what);
                    float[] reference = logits(rows, vocab);
                    float[] tested = perturbed(reference);
                    int[] targets = targets(rows, vocab);
                    checkScores(reductions, reference, targets, rows, vocab, Float.NaN, what);
                    checkComparison(reductions, reference, tested, rows, vocab, Float.NaN, what);
                }
            }
        }
    }

    /** NaN logits give what the CPU gives: NaN statistics, the scan's argmax (0 when x_0 is NaN), KL NaN or 0. */
    @Test
    void nanLogitsFollowTheCpu() {
        int rows = 3, vocab = 1000;
        float[] reference = logits(rows, vocab), tested = perturbed(reference);
        reference[0] = Float.NaN;               // row 0: NaN first
        reference[vocab + 517] = Float.NaN;     // row 1: NaN in the middle
        tested[2 * vocab + 999] = Float.NaN;    // row 2: only the tested row
        try (LogitReductions reductions = new LogitReductions(gpu.device())) {
            String what = "NaN rows, " + random;
            checkScores(reductions, reference, targets(rows, vocab), rows, vocab, -12345f, what);
            checkComparison(reductions, reference, tested, rows, vocab, -12345f, what);
        }
    }

    private void checkScores(LogitReductions reductions, float[] logits, int[] targets, int rows, int vocab, float poison, String what) {
        CudaDevice device = gpu.device();
        LogitReductions.Scores expected = LogitReductions.scoreReference(logits, targets, rows, vocab);
        try (DeviceBuffer x = device.upload(logits); DeviceBuffer t = device.upload(targets);
             DeviceBuffer max = poisoned(rows, poison); DeviceBuffer logSum = poisoned(2 * rows, poison);
             DeviceBuffer targetLogProb = poisoned(2 * rows, poison); DeviceBuffer argmax = poisoned(rows, poison)) {
            reductions.launchScore(x.from(0), t.from(0), rows, vocab,
                    new LogitReductions.Outputs(max.from(0), logSum.from(0), targetLogProb.from(0), argmax.from(0), null, null));
            float[] actualMax = max.readFloats(0, rows);
            double[] actualLogSum = LogitReductions.readDoubles(logSum, rows), actualLogProb = LogitReductions.readDoubles(targetLogProb, rows);
            int[] actualArgmax = argmax.readInts(0, rows);
            for (int r = 0; r < rows; r++) {
                String at = what + ", row " + r;
                assertEquals(expected.argmax()[r], actualArgmax[r], at + ": argmax");
                assertSame(expected.max()[r], actualMax[r], 0, at + ": max");
                assertSame(expected.logSum()[r], actualLogSum[r], 2 * vocab * U, at + ": log Σ exp");
                assertSame(expected.targetLogProb()[r], actualLogProb[r], 4 * vocab * U, at + ": log p(target " + targets[r] + ")");
            }
        }
        // The host entry point reads the same numbers back.
        try (DeviceBuffer x = device.upload(logits)) {
            LogitReductions.Scores actual = reductions.score(x.from(0), targets, rows, vocab);
            assertTrue(Arrays.equals(expected.argmax(), actual.argmax()), what + ": argmax through score()");
        }
    }

    private void checkComparison(LogitReductions reductions, float[] reference, float[] tested, int rows, int vocab, float poison, String what) {
        CudaDevice device = gpu.device();
        LogitReductions.Comparison expected = LogitReductions.compareReference(reference, tested, rows, vocab);
        try (DeviceBuffer p = device.upload(reference); DeviceBuffer q = device.upload(tested);
             DeviceBuffer kl = poisoned(2 * rows, poison); DeviceBuffer argmax = poisoned(rows, poison); DeviceBuffer referenceArgmax = poisoned(rows, poison)) {
            reductions.launchCompare(p.from(0), q.from(0), rows, vocab,
                    new LogitReductions.Outputs(null, null, null, argmax.from(0), referenceArgmax.from(0), kl.from(0)));
            double[] actualKl = LogitReductions.readDoubles(kl, rows);
            int[] actualArgmax = argmax.readInts(0, rows), actualReferenceArgmax = referenceArgmax.readInts(0, rows);
            for (int r = 0; r < rows; r++) {
                String at = what + ", row " + r;
                double delta = 0;
                for (int i = r * vocab; i < (r + 1) * vocab; i++) {
                    if (Float.isFinite(reference[i]) && Float.isFinite(tested[i])) delta = Math.max(delta, Math.abs(reference[i] - tested[i]));
                }
                assertEquals(expected.testedArgmax()[r], actualArgmax[r], at + ": tested argmax");
                assertEquals(expected.referenceArgmax()[r], actualReferenceArgmax[r], at + ": reference argmax");
                assertSame(expected.kl()[r], actualKl[r], 16 * vocab * U * (1 + 4 * delta), at + ": KL");
            }
        }
    }

    /** Within {@code tolerance}; NaN only where the reference is NaN, infinities only equal ones. */
    private static void assertSame(double expected, double actual, double tolerance, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), what + ": " + actual + ", the reference is NaN");
        } else if (Double.isInfinite(expected)) {
            assertEquals(expected, actual, what);
        } else {
            assertTrue(Math.abs(expected - actual) <= tolerance, what + ": " + actual + ", reference " + expected + " (tolerance " + tolerance + ")");
        }
    }

    /**
     * Logits of a typical scale (uniform in ±8), each row with its maximum at two indices (the CPU keeps the lower),
     * in different warps' strides; every third row masks a few tokens to −∞.
     */
    private float[] logits(int rows, int vocab) {
        float[] x = random.floats(rows * vocab, 8);
        int[] picks = random.ints(4 * rows, vocab);
        for (int r = 0; r < rows; r++) {
            int a = picks[4 * r], b = picks[4 * r + 1];
            if (a == b) b = (a + 257) % vocab;
            x[r * vocab + a] = x[r * vocab + b] = 9.5f;
            if (r % 3 == 2) {
                for (int m = 2; m < 4; m++) {
                    int i = picks[4 * r + m];
                    if (i != a && i != b) x[r * vocab + i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return x;
    }

    /** The reference plus noise of ±0.05 (finite entries only): a small KL, the top-1 mostly kept. */
    private float[] perturbed(float[] reference) {
        float[] noise = random.floats(reference.length, 0.05);
        float[] out = reference.clone();
        for (int i = 0; i < out.length; i++) if (Float.isFinite(out[i])) out[i] += noise[i];
        return out;
    }

    /** A random target per row, every fifth row without one. */
    private int[] targets(int rows, int vocab) {
        int[] t = random.ints(rows, vocab);
        for (int r = 0; r < rows; r += 5) t[r] = TokenScores.NO_TARGET;
        return t;
    }

    private DeviceBuffer poisoned(int floats, float value) {
        float[] fill = new float[floats];
        Arrays.fill(fill, value);
        return gpu.device().upload(fill);
    }
}
