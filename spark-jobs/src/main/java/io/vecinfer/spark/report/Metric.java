package io.vecinfer.spark.report;

import org.apache.spark.sql.Row;

/**
 * One metrics row (one cell and score, see docs/parquet-schema.md) as the HTML report reads it. Nullable
 * numbers are null where the metrics have none (no fp16 partner, no decode rate for perplexity).
 */
public record Metric(String configHash, String model, String modelVariant, String method, String task,
                     int contextLength, int batchSize, long seed, String score, long n, double mean, Double stderr,
                     Double deltaVsFp16, Double deltaStderr, Double fp16Mean, double kvBytesPerToken, double compressionRatio,
                     Double prefillMsP50, Double decodeMsPerTokenP50, Double prefillTokensPerS, Double decodeTokensPerS,
                     MethodTraits traits) {

    public static Metric of(Row r) {
        String method = r.getAs("method");
        return new Metric(r.getAs("config_hash"), r.getAs("model"), r.getAs("model_variant"), method, r.getAs("task"),
                r.<Integer>getAs("context_length"), r.<Integer>getAs("batch_size"), r.<Long>getAs("seed"), r.getAs("score"),
                r.<Long>getAs("n"), r.<Double>getAs("mean"), finite(r.getAs("stderr")), finite(r.getAs("delta_vs_fp16")),
                finite(r.getAs("delta_stderr")), finite(r.getAs("fp16_mean")), r.<Double>getAs("kv_bytes_per_token"),
                r.<Double>getAs("compression_ratio"), finite(r.getAs("prefill_ms_p50")), finite(r.getAs("decode_ms_per_token_p50")),
                finite(r.getAs("prefill_tokens_per_s")), finite(r.getAs("decode_tokens_per_s")), MethodTraits.of(method));
    }

    /** The model as legends name it: its folder's name, starred when it is a constructed variant (the table's footnote says what it is). */
    public String modelName() {
        return modelName(model, modelVariant);
    }

    public boolean transformedModel() {
        return transformed(modelVariant);
    }

    static String modelName(String model, String variant) {
        return model.substring(model.lastIndexOf('/') + 1) + (transformed(variant) ? "*" : "");
    }

    private static boolean transformed(String variant) {
        return variant.startsWith("transformed");
    }

    /** Spark's stddev of one value is NaN: no error bar rather than a NaN in the page. */
    private static Double finite(Double value) {
        return value == null || value.isNaN() || value.isInfinite() ? null : value;
    }
}
