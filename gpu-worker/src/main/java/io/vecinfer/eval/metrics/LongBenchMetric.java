package io.vecinfer.eval.metrics;

import java.util.List;

/** The per-answer metrics of LongBench's {@code metrics.py}, each scoring in [0, 1]. */
public enum LongBenchMetric {
    QA_F1 {
        @Override
        public double score(String prediction, String groundTruth, List<String> allClasses) {
            return TokenF1.qaF1(prediction, groundTruth);
        }
    },
    ROUGE_L {
        @Override
        public double score(String prediction, String groundTruth, List<String> allClasses) {
            return RougeL.score(prediction, groundTruth);
        }
    },
    CLASSIFICATION {
        @Override
        public double score(String prediction, String groundTruth, List<String> allClasses) {
            if (allClasses == null) {
                throw new IllegalArgumentException("classification needs all_classes");
            }
            return Classification.score(prediction, groundTruth, allClasses);
        }
    },
    RETRIEVAL {
        @Override
        public double score(String prediction, String groundTruth, List<String> allClasses) {
            return NumberMatch.retrievalScore(prediction, groundTruth);
        }
    },
    COUNT {
        @Override
        public double score(String prediction, String groundTruth, List<String> allClasses) {
            return NumberMatch.countScore(prediction, groundTruth);
        }
    },
    CODE_SIM {
        @Override
        public double score(String prediction, String groundTruth, List<String> allClasses) {
            return CodeSimilarity.score(prediction, groundTruth);
        }
    };

    /** allClasses may be null for every metric but CLASSIFICATION. */
    public abstract double score(String prediction, String groundTruth, List<String> allClasses);
}
