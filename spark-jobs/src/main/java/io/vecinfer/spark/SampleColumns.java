package io.vecinfer.spark;

import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The columns of a per-sample row, in file order: the one definition from which both the Parquet
 * schema the executors write and the Spark schema the driver and report read are derived.
 * docs/parquet-schema.md describes each column; SampleSchemaTest holds the two to each other.
 */
public final class SampleColumns {
    private SampleColumns() {
    }

    public enum Kind { STRING, INT, LONG, DOUBLE, TIMESTAMP, SCORES }

    /** A column; required ones are never null in a row. */
    public record Column(String name, Kind kind, boolean required) {
    }

    public static final List<Column> COLUMNS = List.of(
            new Column("model", Kind.STRING, true),
            new Column("model_id", Kind.STRING, false),
            new Column("model_variant", Kind.STRING, true),
            new Column("method", Kind.STRING, true),
            new Column("key_config", Kind.STRING, false),
            new Column("value_config", Kind.STRING, false),
            new Column("residual_window", Kind.INT, false),
            new Column("codebook_scope", Kind.STRING, false),
            new Column("codebook", Kind.STRING, false),
            new Column("task", Kind.STRING, true),
            new Column("sample_id", Kind.STRING, true),
            new Column("context_length", Kind.INT, true),
            new Column("context_tokens", Kind.INT, true),
            new Column("context_bucket", Kind.STRING, true),
            new Column("batch_size", Kind.INT, true),
            new Column("device_batch", Kind.INT, false),
            new Column("seed", Kind.LONG, true),
            new Column("prefill", Kind.STRING, true),
            new Column("task_inputs", Kind.STRING, false),
            new Column("scores", Kind.SCORES, true),
            new Column("prediction", Kind.STRING, false),
            new Column("reference", Kind.STRING, false),
            new Column("prefill_ms", Kind.DOUBLE, true),
            new Column("decode_ms_per_token", Kind.DOUBLE, true),
            new Column("batch_ms", Kind.DOUBLE, false),
            new Column("generated_tokens", Kind.INT, true),
            new Column("kv_bytes", Kind.LONG, true),
            new Column("kv_bytes_per_token", Kind.DOUBLE, true),
            new Column("compression_ratio", Kind.DOUBLE, true),
            new Column("peak_memory_bytes", Kind.LONG, true),
            new Column("backend", Kind.STRING, true),
            new Column("device", Kind.STRING, false),
            new Column("gpu_address", Kind.STRING, true),
            new Column("executor_id", Kind.STRING, true),
            new Column("host", Kind.STRING, true),
            new Column("code_version", Kind.STRING, true),
            new Column("written_at", Kind.TIMESTAMP, true));

    /** What Spark sees: the file columns plus the partition column config_hash (a directory name, not in the files). */
    public static StructType sparkSchema() {
        List<StructField> fields = new ArrayList<>();
        for (Column column : COLUMNS) fields.add(DataTypes.createStructField(column.name(), sparkType(column.kind()), true));
        fields.add(DataTypes.createStructField(OutputLayout.PARTITION_COLUMN, DataTypes.StringType, true));
        return DataTypes.createStructType(fields);
    }

    public static MessageType parquetSchema() {
        Types.MessageTypeBuilder message = Types.buildMessage();
        for (Column column : COLUMNS) message.addField(parquetType(column));
        return message.named("sample");
    }

    private static DataType sparkType(Kind kind) {
        return switch (kind) {
            case STRING -> DataTypes.StringType;
            case INT -> DataTypes.IntegerType;
            case LONG -> DataTypes.LongType;
            case DOUBLE -> DataTypes.DoubleType;
            case TIMESTAMP -> DataTypes.TimestampType;
            case SCORES -> DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false);
        };
    }

    private static Type parquetType(Column column) {
        Type.Repetition repetition = column.required() ? Type.Repetition.REQUIRED : Type.Repetition.OPTIONAL;
        return switch (column.kind()) {
            case STRING -> Types.primitive(PrimitiveTypeName.BINARY, repetition).as(LogicalTypeAnnotation.stringType()).named(column.name());
            case INT -> Types.primitive(PrimitiveTypeName.INT32, repetition).named(column.name());
            case LONG -> Types.primitive(PrimitiveTypeName.INT64, repetition).named(column.name());
            case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(column.name());
            case TIMESTAMP -> Types.primitive(PrimitiveTypeName.INT64, repetition)
                    .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS)).named(column.name());
            // The standard three-level MAP layout, which Spark reads as map<string,double>.
            case SCORES -> Types.buildGroup(repetition).as(LogicalTypeAnnotation.mapType())
                    .repeatedGroup()
                    .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("key")
                    .required(PrimitiveTypeName.DOUBLE).named("value")
                    .named("key_value")
                    .named(column.name());
        };
    }
}
