package io.vecinfer.spark.report;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

/** The metrics columns derived from the method string ({@link MethodTraits}), so every reader plots by the same numbers. */
public final class MethodColumns {
    public static final String BITS = "bits_per_element";
    public static final String FAMILY = "method_family";
    public static final String TRANSFORM = "key_transform";

    private MethodColumns() {
    }

    public static Dataset<Row> add(Dataset<Row> metrics) {
        UserDefinedFunction bits = udf((UDF1<String, Double>) m -> MethodTraits.of(m).bitsPerElement(), DataTypes.DoubleType);
        UserDefinedFunction family = udf((UDF1<String, String>) m -> MethodTraits.of(m).family(), DataTypes.StringType);
        UserDefinedFunction transform = udf((UDF1<String, String>) m -> MethodTraits.of(m).transform(), DataTypes.StringType);
        return metrics.withColumn(BITS, bits.apply(col("method")))
                .withColumn(FAMILY, family.apply(col("method")))
                .withColumn(TRANSFORM, transform.apply(col("method")));
    }
}
