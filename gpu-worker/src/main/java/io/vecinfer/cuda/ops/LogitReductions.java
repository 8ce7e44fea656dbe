package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.decoder.LogitStatistics;
import io.vecinfer.decoder.TokenScores;

import java.util.Arrays;

/**
 * The logits family (logits.cu): reductions of a [rows][vocab] fp32 logits matrix on the device, so that only a few
 * numbers per row reach the host. {@link #score} gives per row the max, log Σ exp(x − max), a target's log-probability
 * and the argmax (perplexity, greedy decoding); {@link #compare} gives KL(reference ‖ tested) and both argmaxes of two
 * matrices (fidelity). The arithmetic is {@link LogitStatistics}'s; {@link #scoreReference} and
 * {@link #compareReference} are it, row by row. One call at a time per instance (the result buffers are shared).
 */
public final class LogitReductions implements AutoCloseable {
    private static final int THREADS = 256; // LOGIT_THREADS in logits.cu

    /** Per row: max logit, log Σ exp(x − max), log p(target) (NaN without a target), argmax. */
    public record Scores(float[] max, double[] logSum, double[] targetLogProb, int[] argmax) {
        public TokenScores tokenScores() {
            return new TokenScores(targetLogProb, argmax);
        }
    }

    /** Per row: KL(reference ‖ tested) in nats and both argmaxes. */
    public record Comparison(double[] kl, int[] referenceArgmax, int[] testedArgmax) {
    }

    /** Device outputs of one launch, one element per row each (any may be a poisoned buffer in tests). */
    public record Outputs(DeviceBuffer.Slice max, DeviceBuffer.Slice logSum, DeviceBuffer.Slice targetLogProb, DeviceBuffer.Slice argmax,
                          DeviceBuffer.Slice referenceArgmax, DeviceBuffer.Slice kl) {
    }

    private final CudaDevice device;
    private DeviceBuffer targets, max, logSum, targetLogProb, argmax, referenceArgmax, kl;

    public LogitReductions(CudaDevice device) {
        this.device = device;
    }

    /** Scores {@code rows} rows of {@code logits}; {@code targetIds} holds one id per row, or is null (no targets). */
    public Scores score(DeviceBuffer.Slice logits, int[] targetIds, int rows, int vocab) {
        if (targetIds != null && targetIds.length != rows) throw new IllegalArgumentException(targetIds.length + " targets for " + rows + " rows");
        if (rows == 0) return new Scores(new float[0], new double[0], new double[0], new int[0]);
        Outputs out = outputs(rows);
        DeviceBuffer.Slice t = null;
        if (targetIds != null) {
            targets = device.grow(targets, (long) rows * Integer.BYTES);
            targets.write(targetIds);
            t = targets.from(0);
        }
        launchScore(logits, t, rows, vocab, out);
        return new Scores(max.readFloats(0, rows), readDoubles(logSum, rows), readDoubles(targetLogProb, rows), argmax.readInts(0, rows));
    }

    /** The argmax of each of {@code rows} rows (score_rows, only the argmax read back): greedy decoding's next tokens. */
    public int[] argmax(DeviceBuffer.Slice logits, int rows, int vocab) {
        if (rows == 0) return new int[0];
        launchScore(logits, null, rows, vocab, outputs(rows));
        return argmax.readInts(0, rows);
    }

    /** Compares {@code rows} rows of {@code reference} and {@code tested}. */
    public Comparison compare(DeviceBuffer.Slice reference, DeviceBuffer.Slice tested, int rows, int vocab) {
        if (rows == 0) return new Comparison(new double[0], new int[0], new int[0]);
        Outputs out = outputs(rows);
        launchCompare(reference, tested, rows, vocab, out);
        return new Comparison(readDoubles(kl, rows), referenceArgmax.readInts(0, rows), argmax.readInts(0, rows));
    }

    /** score_rows into {@code out}'s max, logSum, targetLogProb and argmax; targets may be null. Asynchronous. */
    public void launchScore(DeviceBuffer.Slice logits, DeviceBuffer.Slice targets, int rows, int vocab, Outputs out) {
        checkShape(rows, vocab);
        device.module("logits").kernel("score_rows").launch(rows, 1, 1, THREADS, 0,
                params(logits, null, targets, out.max(), out.logSum(), out.targetLogProb(), out.argmax(), null, null, rows, vocab));
    }

    /** compare_rows into {@code out}'s kl, referenceArgmax and argmax (the tested rows'). Asynchronous. */
    public void launchCompare(DeviceBuffer.Slice reference, DeviceBuffer.Slice tested, int rows, int vocab, Outputs out) {
        checkShape(rows, vocab);
        device.module("logits").kernel("compare_rows").launch(rows, 1, 1, THREADS, 0,
                params(tested, reference, null, null, null, null, out.argmax(), out.referenceArgmax(), out.kl(), rows, vocab));
    }

    /** LogitParams (logits.cu), field by field. */
    static KernelParams params(Object logits, Object reference, Object targets, Object max, Object logSum, Object targetLogProb,
                                       Object argmax, Object referenceArgmax, Object kl, int rows, int vocab) {
        return new KernelParams().pointer(logits).pointer(reference).pointer(targets).pointer(max).pointer(logSum).pointer(targetLogProb)
                .pointer(argmax).pointer(referenceArgmax).pointer(kl).i32(rows).i32(vocab);
    }

    private static void checkShape(int rows, int vocab) {
        if (rows < 0 || vocab <= 0) throw new IllegalArgumentException(rows + " rows of " + vocab + " logits");
    }

    private Outputs outputs(int rows) {
        long r = rows;
        max = device.grow(max, r * Float.BYTES);
        logSum = device.grow(logSum, r * Double.BYTES);
        targetLogProb = device.grow(targetLogProb, r * Double.BYTES);
        argmax = device.grow(argmax, r * Integer.BYTES);
        referenceArgmax = device.grow(referenceArgmax, r * Integer.BYTES);
        kl = device.grow(kl, r * Double.BYTES);
        return new Outputs(max.from(0), logSum.from(0), targetLogProb.from(0), argmax.from(0), referenceArgmax.from(0), kl.from(0));
    }

    /** {@code count} doubles from the start of {@code buffer}, read as pairs of little-endian ints (DeviceBuffer reads ints). */
    public static double[] readDoubles(DeviceBuffer buffer, int count) {
        int[] words = buffer.readInts(0, 2 * count);
        double[] out = new double[count];
        for (int i = 0; i < count; i++) out[i] = Double.longBitsToDouble((long) words[2 * i + 1] << 32 | (words[2 * i] & 0xffffffffL));
        return out;
    }

    /** score_rows' arithmetic on a row-major [rows][vocab] matrix, row by row through {@link LogitStatistics}. */
    public static Scores scoreReference(float[] logits, int[] targetIds, int rows, int vocab) {
        float[] max = new float[rows];
        double[] logSum = new double[rows], targetLogProb = new double[rows];
        int[] argmax = new int[rows];
        for (int r = 0; r < rows; r++) {
            float[] row = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            double m = LogitStatistics.max(row);
            max[r] = (float) m;
            logSum[r] = LogitStatistics.logSum(row, m);
            argmax[r] = LogitStatistics.argmax(row);
            int t = targetIds == null ? TokenScores.NO_TARGET : targetIds[r];
            targetLogProb[r] = t >= 0 && t < vocab ? LogitStatistics.logProbability(row, t) : Double.NaN;
        }
        return new Scores(max, logSum, targetLogProb, argmax);
    }

    /** compare_rows' arithmetic on two row-major [rows][vocab] matrices, row by row through {@link LogitStatistics}. */
    public static Comparison compareReference(float[] reference, float[] tested, int rows, int vocab) {
        double[] kl = new double[rows];
        int[] referenceArgmax = new int[rows], testedArgmax = new int[rows];
        for (int r = 0; r < rows; r++) {
            float[] p = Arrays.copyOfRange(reference, r * vocab, (r + 1) * vocab), q = Arrays.copyOfRange(tested, r * vocab, (r + 1) * vocab);
            kl[r] = LogitStatistics.klDivergence(p, q);
            referenceArgmax[r] = LogitStatistics.argmax(p);
            testedArgmax[r] = LogitStatistics.argmax(q);
        }
        return new Comparison(kl, referenceArgmax, testedArgmax);
    }

    @Override
    public void close() {
        for (DeviceBuffer b : new DeviceBuffer[]{targets, max, logSum, targetLogProb, argmax, referenceArgmax, kl}) if (b != null) b.close();
        targets = max = logSum = targetLogProb = argmax = referenceArgmax = kl = null;
    }
}
