package io.vecinfer.spark;

import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The written files, SampleColumns and docs/parquet-schema.md agree on every column and its type. */
class SampleSchemaTest {
    @TempDir
    Path dir;

    private static List<String> describe(List<StructField> fields) {
        return fields.stream().map(f -> f.name() + " " + f.dataType().simpleString()).toList();
    }

    @Test
    void writtenFilesMatchTheDocumentedSchema() throws Exception {
        Evaluate.run(LocalSpark.session(), SweepFile.read(Sweeps.write(dir, "s.json", List.of("fp16"), 2, 1, dir.resolve("out"))));
        // Read without a schema: what the files themselves say, plus the discovered partition column.
        List<String> written = describe(List.of(LocalSpark.session().read()
                .option("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                .parquet(dir.resolve("out/samples").toString()).schema().fields()));
        List<String> declared = describe(List.of(SampleColumns.sparkSchema().fields()));
        assertEquals(declared.subList(0, declared.size() - 1), written.subList(0, written.size() - 1));
        assertEquals("config_hash", written.get(written.size() - 1).split(" ")[0]);

        List<String> documented = new ArrayList<>();
        Matcher row = Pattern.compile("(?m)^\\| `(\\w+)` \\| ([^|]+?) \\|").matcher(Files.readString(Sweeps.repoRoot().resolve("docs/parquet-schema.md")));
        while (row.find()) documented.add(row.group(1) + " " + row.group(2));
        assertEquals(declared, documented);
    }
}
