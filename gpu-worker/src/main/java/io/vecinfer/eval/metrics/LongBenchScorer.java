package io.vecinfer.eval.metrics;

import io.vecinfer.eval.data.LongBenchPrediction;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * LongBench's {@code scorer} and {@code scorer_e}: a sample scores the best of its answers, a task
 * the mean over samples × 100, rounded to two decimals as Python's {@code round} does.
 *
 * <p>Unlike {@code eval.py}, which uses the {@code all_classes} of a file's last line for every
 * line, each sample here uses its own; LongBench's files carry the same list on every line.
 */
public final class LongBenchScorer {

    private LongBenchScorer() {}

    public static double sampleScore(LongBenchTask task, String prediction, List<String> answers, List<String> allClasses) {
        String scored = task.scoresFirstLineOnly() ? firstLine(prediction) : prediction;
        double best = 0.0;
        for (String answer : answers) {
            best = Math.max(best, task.metric().score(scored, answer, allClasses));
        }
        return best;
    }

    /** Per-sample scores in [0, 1], in input order, for standard errors and paired deltas. */
    public static double[] sampleScores(LongBenchTask task, List<LongBenchPrediction> predictions) {
        return predictions.stream()
                .mapToDouble(p -> sampleScore(task, p.pred(), p.answers(), p.allClasses()))
                .toArray();
    }

    /** The task score as LongBench reports it: 100 × mean, two decimals. */
    public static double score(LongBenchTask task, List<LongBenchPrediction> predictions) {
        if (predictions.isEmpty()) {
            throw new IllegalArgumentException("no predictions to score for " + task.datasetName());
        }
        return reported(sampleScores(task, predictions));
    }

    /**
     * LongBench-E: the task score per length bucket; NaN for a bucket with no samples (numpy's mean
     * of nothing). Summed in order, where numpy sums pairwise: equal up to the last bit or two.
     */
    public static Map<LengthBucket, Double> scoreByLength(LongBenchTask task, List<LongBenchPrediction> predictions) {
        Map<LengthBucket, List<Double>> byBucket = new EnumMap<>(LengthBucket.class);
        for (LengthBucket bucket : LengthBucket.values()) {
            byBucket.put(bucket, new ArrayList<>());
        }
        for (LongBenchPrediction p : predictions) {
            byBucket.get(LengthBucket.of(p.length())).add(sampleScore(task, p.pred(), p.answers(), p.allClasses()));
        }
        Map<LengthBucket, Double> scores = new EnumMap<>(LengthBucket.class);
        byBucket.forEach((bucket, list) ->
                scores.put(bucket, reported(list.stream().mapToDouble(Double::doubleValue).toArray())));
        return scores;
    }

    private static double reported(double[] sampleScores) {
        double total = 0.0;
        for (double score : sampleScores) {
            total += score;
        }
        return PyStrings.round(100 * total / sampleScores.length, 2);
    }

    /** Python's {@code prediction.lstrip('\n').split('\n')[0]}. */
    static String firstLine(String prediction) {
        String text = PyStrings.stripLeadingNewlines(prediction);
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }
}
