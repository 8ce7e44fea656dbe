package io.vecinfer.eval.data;

import io.vecinfer.dataset.JsonLines;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes predictions in LongBench's form, one object a line, flushed per line so that a preempted
 * run keeps every finished sample. Non-ASCII text is written as is, as LongBench's
 * {@code ensure_ascii=False} does.
 */
public final class LongBenchPredictionWriter implements Closeable {

    private final BufferedWriter out;

    private LongBenchPredictionWriter(BufferedWriter out) {
        this.out = out;
    }

    /** append: continue a file after a restart instead of starting it over. */
    public static LongBenchPredictionWriter open(Path file, boolean append) throws IOException {
        StandardOpenOption mode = append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        return new LongBenchPredictionWriter(Files.newBufferedWriter(
                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode));
    }

    public void write(LongBenchPrediction prediction) throws IOException {
        ObjectNode line = JsonLines.mapper().createObjectNode();
        line.put("pred", prediction.pred());
        addTexts(line.putArray("answers"), prediction.answers());
        if (prediction.allClasses() == null) {
            line.putNull("all_classes");
        } else {
            addTexts(line.putArray("all_classes"), prediction.allClasses());
        }
        line.put("length", prediction.length());
        out.write(JsonLines.mapper().writeValueAsString(line));
        out.write('\n');
        out.flush();
    }

    private static void addTexts(ArrayNode array, List<String> texts) {
        texts.forEach(array::add);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
