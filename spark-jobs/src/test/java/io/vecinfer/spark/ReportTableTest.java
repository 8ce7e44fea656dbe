package io.vecinfer.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The printed report marks a transformed model and says what it is, so no one reads it as a trained model. */
class ReportTableTest {
    private static final String[] STRINGS = {"task", "model", "model_variant", "method", "score"};
    private static final String[] INTS = {"context_length", "batch_size"};
    private static final String[] DOUBLES = {"mean", "stderr", "delta_vs_fp16", "delta_stderr", "kv_bytes_per_token",
            "compression_ratio", "prefill_ms_p50", "decode_ms_per_token_p50", "decode_tokens_per_s"};

    @Test
    void aTransformedVariantIsMarkedAndExplained() {
        String variant = "transformed: outlier-calibrated from reference-model, 2 RoPE channel pairs per KV head";
        String table = ReportTable.format(List.of(row("/m/reference-model", "original"), row("/m/reference-model-outliers", variant)));
        assertTrue(table.contains("reference-model-outliers*"), table);
        assertTrue(table.contains("* reference-model-outliers: " + variant), table);
        assertFalse(table.contains("reference-model* "), table);
    }

    private static Row row(String model, String variant) {
        List<StructField> fields = new java.util.ArrayList<>();
        List<Object> values = new java.util.ArrayList<>();
        for (String s : STRINGS) add(fields, values, s, DataTypes.StringType,
                switch (s) { case "model" -> model; case "model_variant" -> variant; case "task" -> "perplexity"; default -> "nll"; });
        for (String s : INTS) add(fields, values, s, DataTypes.IntegerType, 128);
        add(fields, values, "seed", DataTypes.LongType, 0L);
        add(fields, values, "prefill", DataTypes.StringType, "compressed");
        add(fields, values, "task_file", DataTypes.StringType, null);
        add(fields, values, "n", DataTypes.LongType, 5L);
        for (String s : DOUBLES) add(fields, values, s, DataTypes.DoubleType, 1.0);
        return new GenericRowWithSchema(values.toArray(), new StructType(fields.toArray(new StructField[0])));
    }

    private static void add(List<StructField> fields, List<Object> values, String name, DataType type, Object value) {
        fields.add(DataTypes.createStructField(name, type, true));
        values.add(value);
    }
}
