package io.vecinfer.decoder;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How the next token is chosen: greedy (temperature 0), or sampled at a temperature from the smallest
 * set of tokens whose probability reaches topP. Sampling is reproducible: each sequence draws from
 * its own generator seeded by (seed, sequence index), whatever the batch it runs in.
 */
public record Sampling(float temperature, float topP, long seed) {
    public static final Sampling GREEDY = new Sampling(0f, 1f, 0L);

    public Sampling {
        if (temperature < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("sampling: temperature must be >= 0 and top_p in (0, 1], got "
                    + temperature + " and " + topP);
        }
    }

    public SplittableRandom randomFor(int sequenceIndex) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + sequenceIndex);
    }

    public int next(float[] logits, SplittableRandom random) {
        if (temperature == 0f) return argmax(logits);
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        Integer[] order = null;
        int kept = p.length;
        if (topP < 1f) {
            order = new Integer[p.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            double[] probs = p;
            Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
            double cumulative = 0;
            for (kept = 0; kept < order.length && cumulative < topP * sum; kept++) cumulative += p[order[kept]];
            sum = cumulative;
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < kept; i++) {
            int token = order == null ? i : order[i];
            u -= p[token];
            if (u <= 0) return token;
        }
        return order == null ? p.length - 1 : order[kept - 1];
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
