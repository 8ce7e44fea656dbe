package io.vecinfer.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Repeated timing of one benchmark call under a time share: warm-up calls first, then timed calls while the next
 * (assumed as long as the last) still fits the share, up to a count. A call too slow for any timed repeat keeps its
 * warm-up times as the samples rather than reporting nothing ({@link Samples#warmUpDiscarded} false).
 */
final class TimedRuns {
    private TimedRuns() {
    }

    /** Sample times in ms, whether warm-up calls were left out, and every call's time summed (warm-ups included). */
    record Samples(List<Double> ms, boolean warmUpDiscarded, double spentMs) {
        double median() {
            return TimedRuns.median(ms);
        }

        double min() {
            return ms.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }
    }

    /**
     * @param call    one call, returning its own time in ms (so set-up outside the timed part is not counted)
     * @param warmUps calls made before the timed ones (at least 1)
     * @param maxReps the most timed calls
     * @param shareMs the time all calls together may take; the warm-ups always run
     */
    static Samples repeat(DoubleSupplier call, int warmUps, int maxReps, double shareMs) {
        if (warmUps < 1 || maxReps < 1) throw new IllegalArgumentException("at least one warm-up and one timed call");
        List<Double> warm = new ArrayList<>(), timed = new ArrayList<>();
        double spent = 0, last = 0;
        for (int i = 0; i < warmUps; i++) {
            last = call.getAsDouble();
            warm.add(last);
            spent += last;
        }
        while (timed.size() < maxReps && spent + last <= shareMs) {
            last = call.getAsDouble();
            timed.add(last);
            spent += last;
        }
        return timed.isEmpty() ? new Samples(List.copyOf(warm), false, spent) : new Samples(List.copyOf(timed), true, spent);
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) return Double.NaN;
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * The median of kernel times (CudaTimer's floats), leaving {@code ms} as it is; the middle pair's mean is taken from
     * their float sum, as the attention benchmarks always have.
     */
    static double median(float[] ms) {
        float[] s = ms.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }
}
