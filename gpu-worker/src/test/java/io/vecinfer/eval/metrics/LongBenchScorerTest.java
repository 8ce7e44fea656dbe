package io.vecinfer.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vecinfer.eval.data.LongBenchPrediction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LongBenchScorerTest {

    @Test
    void datasetToMetricMapMatchesLongBench() {
        for (String qa : List.of("narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa", "musique", "triviaqa")) {
            assertEquals(LongBenchMetric.QA_F1, LongBenchTask.fromDatasetName(qa).metric(), qa);
        }
        for (String summary : List.of("gov_report", "qmsum", "multi_news", "samsum")) {
            assertEquals(LongBenchMetric.ROUGE_L, LongBenchTask.fromDatasetName(summary).metric(), summary);
        }
        assertEquals(LongBenchMetric.CLASSIFICATION, LongBenchTask.fromDatasetName("trec").metric());
        assertEquals(LongBenchMetric.RETRIEVAL, LongBenchTask.fromDatasetName("passage_retrieval_en").metric());
        assertEquals(LongBenchMetric.COUNT, LongBenchTask.fromDatasetName("passage_count").metric());
        assertEquals(LongBenchMetric.CODE_SIM, LongBenchTask.fromDatasetName("lcc").metric());
        assertEquals(LongBenchMetric.CODE_SIM, LongBenchTask.fromDatasetName("repobench-p").metric());
        assertThrows(IllegalArgumentException.class, () -> LongBenchTask.fromDatasetName("dureader"));
    }

    @Test
    void aSampleScoresItsBestAnswer() {
        // "paris" vs "Paris" = 1, vs "Paris, France" = 2·1·(1/2)/(3/2) = 2/3 → max 1
        assertEquals(1.0, LongBenchScorer.sampleScore(LongBenchTask.HOTPOTQA, "Paris", List.of("Paris, France", "Paris"), null), 0.0);
    }

    @Test
    void fewShotTasksScoreOnlyTheFirstLine() {
        String rambling = "\n\nParis\nQuestion: capital of Spain?\nAnswer: Madrid";
        assertEquals(1.0, LongBenchScorer.sampleScore(LongBenchTask.TRIVIAQA, rambling, List.of("Paris"), null), 0.0);
        // the same text on a task without the rule: 1 of 7 normalised tokens → F1 = 2·(1/7)/(8/7) = 0.25
        assertEquals(0.25, LongBenchScorer.sampleScore(LongBenchTask.HOTPOTQA, rambling, List.of("Paris"), null), 1e-15);
        List<String> classes = List.of("Animal", "Date");
        assertEquals(1.0, LongBenchScorer.sampleScore(LongBenchTask.TREC, "Animal\nType: Date", List.of("Animal"), classes), 0.0);
        assertTrue(LongBenchTask.SAMSUM.scoresFirstLineOnly());
        assertFalse(LongBenchTask.GOV_REPORT.scoresFirstLineOnly());
    }

    @Test
    void taskScoreIsAHundredTimesTheMeanRoundedToTwoDecimals() {
        List<LongBenchPrediction> predictions = List.of(
                prediction("Paris", 1000),
                prediction("Lyon", 5000),
                prediction("Paris, France", 9000));
        // (1 + 0 + 2/3) / 3 · 100 = 55.555… → 55.56
        assertEquals(55.56, LongBenchScorer.score(LongBenchTask.HOTPOTQA, predictions), 0.0);

        Map<LengthBucket, Double> byLength = LongBenchScorer.scoreByLength(LongBenchTask.HOTPOTQA, predictions);
        assertEquals(100.0, byLength.get(LengthBucket.UP_TO_4K), 0.0);
        assertEquals(0.0, byLength.get(LengthBucket.FROM_4K_TO_8K), 0.0);
        assertEquals(66.67, byLength.get(LengthBucket.FROM_8K), 0.0);
    }

    @Test
    void anEmptyLengthBucketIsNaNAsNumpysMeanOfNothing() {
        Map<LengthBucket, Double> byLength = LongBenchScorer.scoreByLength(LongBenchTask.HOTPOTQA, List.of(prediction("Paris", 10)));
        assertTrue(byLength.get(LengthBucket.FROM_8K).isNaN());
    }

    @Test
    void lengthBucketsSplitAt4000And8000() {
        assertEquals(LengthBucket.UP_TO_4K, LengthBucket.of(3999));
        assertEquals(LengthBucket.FROM_4K_TO_8K, LengthBucket.of(4000));
        assertEquals(LengthBucket.FROM_4K_TO_8K, LengthBucket.of(7999));
        assertEquals(LengthBucket.FROM_8K, LengthBucket.of(8000));
        assertEquals("8k+", LengthBucket.FROM_8K.label());
    }

    @Test
    void roundingIsPythonsOnTheExactBinaryValue() {
        // 2.675 is stored as 2.67499999…, so Python's round gives 2.67, not 2.68
        assertEquals(2.67, PyStrings.round(2.675, 2), 0.0);
        assertEquals(0.12, PyStrings.round(0.125, 2), 0.0);
        assertEquals(33.33, PyStrings.round(100.0 / 3.0, 2), 0.0);
    }

    private static LongBenchPrediction prediction(String pred, int length) {
        return new LongBenchPrediction(pred, List.of("Paris"), null, length);
    }
}
