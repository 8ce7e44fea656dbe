package io.vecinfer.eval.metrics;

import java.util.Arrays;

/**
 * LongBench's English and code datasets (16; the KV-cache papers' "13 English tasks" are a subset),
 * each with the metric LongBench's {@code eval.py} maps it to.
 */
public enum LongBenchTask {
    NARRATIVEQA("narrativeqa", LongBenchMetric.QA_F1),
    QASPER("qasper", LongBenchMetric.QA_F1),
    MULTIFIELDQA_EN("multifieldqa_en", LongBenchMetric.QA_F1),
    HOTPOTQA("hotpotqa", LongBenchMetric.QA_F1),
    TWOWIKIMQA("2wikimqa", LongBenchMetric.QA_F1),
    MUSIQUE("musique", LongBenchMetric.QA_F1),
    GOV_REPORT("gov_report", LongBenchMetric.ROUGE_L),
    QMSUM("qmsum", LongBenchMetric.ROUGE_L),
    MULTI_NEWS("multi_news", LongBenchMetric.ROUGE_L),
    TREC("trec", LongBenchMetric.CLASSIFICATION),
    TRIVIAQA("triviaqa", LongBenchMetric.QA_F1),
    SAMSUM("samsum", LongBenchMetric.ROUGE_L),
    PASSAGE_RETRIEVAL_EN("passage_retrieval_en", LongBenchMetric.RETRIEVAL),
    PASSAGE_COUNT("passage_count", LongBenchMetric.COUNT),
    LCC("lcc", LongBenchMetric.CODE_SIM),
    REPOBENCH_P("repobench-p", LongBenchMetric.CODE_SIM);

    private final String datasetName;
    private final LongBenchMetric metric;

    LongBenchTask(String datasetName, LongBenchMetric metric) {
        this.datasetName = datasetName;
        this.metric = metric;
    }

    /** The name in LongBench's files and its {@code dataset} field, e.g. "repobench-p". */
    public String datasetName() {
        return datasetName;
    }

    public LongBenchMetric metric() {
        return metric;
    }

    /**
     * The few-shot tasks, where models keep generating further made-up examples: LongBench scores
     * only the first line of their predictions.
     */
    public boolean scoresFirstLineOnly() {
        return this == TREC || this == TRIVIAQA || this == SAMSUM;
    }

    public static LongBenchTask fromDatasetName(String name) {
        return Arrays.stream(values())
                .filter(task -> task.datasetName.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not an English LongBench task: " + name));
    }
}
