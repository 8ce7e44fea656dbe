package io.vecinfer.eval.ruler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.dataset.Datasets;
import io.vecinfer.dataset.TextDocument;
import io.vecinfer.tokenizer.Tokenizer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes RULER-style training examples (JSON lines) for datasets/long-context-model/train.py, kept apart from
 * what the evaluation ({@code RulerTask}) draws:
 * <ul>
 *   <li><b>Text.</b> The evaluation's haystacks and key words come from the held-out text (datasets/heldout).
 *       These examples come from another text, by default the shipped calibration text (Moby-Dick chapters
 *       116–125, State of the Union 2000–2009: part of the training split, no held-out document); the held-out
 *       file itself is refused.</li>
 *   <li><b>Seeds.</b> A sample's stream is seeded by (task, length, index) ({@link RulerGenerator#seed}), linear
 *       in length and index with a step of 1,000,003 per length. The evaluation uses indices 0..31; these use
 *       indices from {@link #FIRST_INDEX} to below 1,000,003, so no training seed equals an evaluation seed of
 *       the same task at any length.</li>
 * </ul>
 * One line per example: kind, length, index, seed, prompt_ids (BOS first, exactly what the Java decoder would
 * see), prompt (the decoded text after BOS) and answer (the references joined by ", ", as the task prints them).
 *
 * <pre>java -cp ... io.vecinfer.eval.ruler.RulerTrainingData --out FILE [--tokenizer tokenizer.json]
 *     [--text some.jsonl] [--count 64] [--skip 0] [--lengths 1024,2048,4096,8064] [--datasets DIR]</pre>
 */
public final class RulerTrainingData {
    /** Training indices start here: far above the evaluation's 0..31 (RulerTask.SAMPLES). */
    public static final int FIRST_INDEX = 100_000;
    /** Below the seed's step per length, so index + length cannot alias another length's evaluation seeds. */
    static final int INDEX_LIMIT = 1_000_003;

    private static final ObjectMapper JSON = new ObjectMapper();

    private RulerTrainingData() {
    }

    /** One training example: the sample and what seeded it. */
    public record Example(RulerKind kind, int length, int index, RulerSample sample) {
    }

    /** The training examples of every kind at every length, {@code count} each, in a fixed order. */
    public static List<Example> examples(RulerGenerator generator, int[] lengths, int count) {
        return examples(generator, lengths, 0, count);
    }

    /**
     * Indices {@code FIRST_INDEX + skip} to {@code FIRST_INDEX + skip + count - 1} of every kind at every length:
     * several writers with disjoint {@code skip} ranges produce disjoint slices of one training set.
     */
    public static List<Example> examples(RulerGenerator generator, int[] lengths, int skip, int count) {
        if (skip < 0) throw new IllegalArgumentException("skip " + skip);
        if (count < 0 || FIRST_INDEX + (long) skip + count > INDEX_LIMIT) throw new IllegalArgumentException("count " + count);
        List<Example> out = new ArrayList<>();
        int first = FIRST_INDEX + skip;
        for (int length : lengths) {
            for (RulerKind kind : RulerKind.values()) {
                for (int i = first; i < first + count; i++) out.add(new Example(kind, length, i, generator.sample(kind, length, i)));
            }
        }
        return out;
    }

    /** One JSON line of an example. */
    static String jsonLine(Tokenizer tokenizer, Example e) {
        RulerSample s = e.sample();
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("kind", e.kind().label());
        line.put("length", e.length());
        line.put("index", e.index());
        line.put("seed", RulerGenerator.seed(e.kind(), e.length(), e.index()));
        line.put("prompt_ids", s.prompt());
        line.put("prompt", tokenizer.decode(Arrays.copyOfRange(s.prompt(), 1, s.prompt().length)));
        line.put("answer", String.join(", ", s.references()));
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    public static void write(Tokenizer tokenizer, RulerGenerator generator, int[] lengths, int count, Writer out) throws IOException {
        write(tokenizer, generator, lengths, 0, count, out);
    }

    public static void write(Tokenizer tokenizer, RulerGenerator generator, int[] lengths, int skip, int count, Writer out) throws IOException {
        for (Example e : examples(generator, lengths, skip, count)) {
            out.write(jsonLine(tokenizer, e));
            out.write('\n');
        }
    }

    /** The training text: the documents of {@code textFile}, refusing the held-out file the evaluation draws from. */
    static String trainingText(Path textFile, Path datasets) throws IOException {
        Path heldout = Datasets.heldout(datasets);
        if (Files.exists(heldout) && Files.isSameFile(textFile, heldout)) {
            throw new IllegalArgumentException(textFile + " is the evaluation's held-out text");
        }
        return String.join("\n\n", TextDocument.load(textFile).stream().map(TextDocument::text).toList());
    }

    public static void main(String[] args) throws IOException {
        Path datasets = Path.of("datasets"), tokenizerFile = null, text = null, out = null;
        int count = 64, skip = 0;
        int[] lengths = {1024, 2048, 4096, 8064};
        for (int a = 0; a < args.length; a += 2) {
            String v = args[a + 1];
            switch (args[a]) {
                case "--out" -> out = Path.of(v);
                case "--datasets" -> datasets = Path.of(v);
                case "--tokenizer" -> tokenizerFile = Path.of(v);
                case "--text" -> text = Path.of(v);
                case "--count" -> count = Integer.parseInt(v);
                case "--skip" -> skip = Integer.parseInt(v);
                case "--lengths" -> lengths = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown option " + args[a]);
            }
        }
        if (out == null) throw new IllegalArgumentException("--out FILE is required");
        if (tokenizerFile == null) tokenizerFile = datasets.resolve("reference-model").resolve("tokenizer.json");
        if (text == null) text = Datasets.calibration(datasets);
        Tokenizer tokenizer = Tokenizer.load(tokenizerFile);
        int bos = tokenizer.tokenId("<|begin_of_text|>").orElseThrow();
        RulerGenerator generator = new RulerGenerator(tokenizer, bos, trainingText(text, datasets));
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            write(tokenizer, generator, lengths, skip, count, w);
        }
        System.out.println("wrote " + count * lengths.length * RulerKind.values().length + " examples from " + text + " to " + out);
    }
}
