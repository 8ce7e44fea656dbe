package io.vecinfer.eval.metrics;

import java.util.List;

/** The per-answer metrics of LongBench's {@code metrics.py}, each scoring in [0, 1]. */
public enum LongBenchMetric {
    QA_F1((prediction, truth, classes) -> TokenF1.qaF1(prediction, truth)),
    ROUGE_L((prediction, truth, classes) -> RougeL.score(prediction, truth)),
    CLASSIFICATION((prediction, truth, classes) -> {
        if (classes == null) throw new IllegalArgumentException("classification needs all_classes");
        return Classification.score(prediction, truth, classes);
    }),
    RETRIEVAL((prediction, truth, classes) -> NumberMatch.retrievalScore(prediction, truth)),
    COUNT((prediction, truth, classes) -> NumberMatch.countScore(prediction, truth)),
    CODE_SIM((prediction, truth, classes) -> CodeSimilarity.score(prediction, truth));

    private interface Scorer {
        double score(String prediction, String groundTruth, List<String> allClasses);
    }

    private final Scorer scorer;

    LongBenchMetric(Scorer scorer) {
        this.scorer = scorer;
    }

    /** allClasses may be null for every metric but CLASSIFICATION. */
    public double score(String prediction, String groundTruth, List<String> allClasses) {
        return scorer.score(prediction, groundTruth, allClasses);
    }
}
