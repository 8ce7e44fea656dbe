package io.vecinfer.study;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.calibrate.Arguments;
import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.CpuCellRunner;
import io.vecinfer.eval.task.KvMethods;
import io.vecinfer.eval.task.SampleResult;
import io.vecinfer.model.Model;
import io.vecinfer.quant.CacheFootprint;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.tensor.Parallel;
import io.vecinfer.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quantization study of the shipped models: for each method of a bit-width grid (VecInfer, raw VQ,
 * KIVI) and the transform ablation, key reconstruction and attention-output error on replayed held-out
 * activations, perplexity and its delta against fp16, next-token KL and top-1 agreement against fp16,
 * and passkey accuracy. One JSON line per (model, method), written as each completes.
 *
 * <pre>
 *   java ... io.vecinfer.study.QuantizationStudy --model datasets/reference-model --out study.jsonl \
 *       [--datasets datasets] [--ppl-windows 3] [--fidelity-windows 4] [--kmeans-iterations 10]
 *       [--passkey-context 2048] [--fidelity-context 1024] [--only LABEL_REGEX]
 * </pre>
 * Perplexity deltas against fp16 are computed when rows are merged (notebooks/vecinfer_results/study.py), so the grid
 * can be split over several JVMs and machines with one fp16 row per model.
 * <pre>
 * </pre>
 */
public final class QuantizationStudy {

    /** The grid: label, bits per element (K and V averaged), spec. */
    record Method(String family, String label, double bits, String spec) {
    }

    static List<Method> grid() {
        List<Method> m = new ArrayList<>();
        m.add(new Method("fp16", "fp16", 16, "fp16"));
        String[][] shapes = {{"4", "d2b8", "d2b8"}, {"3", "d4b12", "d4b12"}, {"2", "d4b8", "d4b8"},
                {"1.5", "d8b12", "d8b12"}, {"1.25", "d8b12", "d8b8"}, {"1", "d8b8", "d8b8"}};
        for (String family : new String[]{"vecinfer", "rawvq"}) {
            for (String[] s : shapes) {
                m.add(new Method(family, family + "-" + s[0], Double.parseDouble(s[0]), family + ":k=" + s[1] + ",v=" + s[2] + ",r=128"));
            }
        }
        String[][] kivi = {{"4", "b4g128", "b4g128"}, {"3", "b3g128", "b3g128"}, {"2", "b2g128", "b2g128"},
                {"1.5", "b2g128", "b1g128"}, {"1", "b1g128", "b1g128"}};
        for (String[] s : kivi) {
            m.add(new Method("kivi", "kivi-" + s[0], Double.parseDouble(s[0]), "kivi:k=" + s[1] + ",v=" + s[2] + ",r=128"));
        }
        // The transform ablation on VecInfer's own scope (per layer): none, smooth only, Hadamard only; "both" is vecinfer-*.
        String[][] ablation = {{"2", "d4b8", "d4b8"}, {"1.5", "d8b12", "d8b12"}, {"1", "d8b8", "d8b8"}};
        for (String[] s : ablation) {
            String base = "vecinfer:k=" + s[1] + ",v=" + s[2] + ",r=128";
            m.add(new Method("ablation-none", "none-" + s[0], Double.parseDouble(s[0]), base + ",smooth=off,hadamard=off"));
            m.add(new Method("ablation-smooth", "smooth-" + s[0], Double.parseDouble(s[0]), base + ",hadamard=off"));
            m.add(new Method("ablation-hadamard", "hadamard-" + s[0], Double.parseDouble(s[0]), base + ",smooth=off"));
        }
        return m;
    }

    /** One passkey sample per depth (0, 0.25, 0.5, 0.75, 1) at the given context. */
    private static List<String> passkeyIds(int context) {
        return List.of("000", "025", "050", "075", "100").stream().map(d -> "passkey-" + context + "-d" + d + "-0").toList();
    }

    public static void main(String[] args) throws IOException {
        Arguments a = Arguments.parse(args, List.of("model", "out"),
                List.of("datasets", "ppl-windows", "fidelity-windows", "kmeans-iterations", "only", "passkey-context", "fidelity-context"));
        Path datasets = Path.of(a.get("datasets", "datasets"));
        Path modelFolder = Path.of(a.get("model"));
        int pplWindows = a.integer("ppl-windows", 3), fidelityWindows = a.integer("fidelity-windows", 4);
        int passkeyContext = a.integer("passkey-context", 2048);
        int fidelityContext = a.integer("fidelity-context", 1024);
        var calibration = new Calibrator.Settings(Datasets.calibration(datasets),
                KvMethods.CALIBRATION_WINDOWS, KvMethods.CALIBRATION_WINDOW_TOKENS, a.integer("kmeans-iterations", 10), 0);
        KvMethods methods = new KvMethods(calibration);
        Path out = Path.of(a.get("out"));
        String only = a.get("only", "");
        try (Model model = Model.load(modelFolder);
             CpuCellRunner runner = new CpuCellRunner(datasets, methods);
             PrintWriter lines = new PrintWriter(Files.newBufferedWriter(out, StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            Tokenizer tokenizer = Tokenizer.load(modelFolder.resolve("tokenizer.json"));
            ActivationProbe probe = probe(model, tokenizer, datasets);
            for (Method method : grid()) {
                if (!only.isEmpty() && !method.label().matches(only)) continue;
                long t0 = System.nanoTime();
                MethodSpec spec = MethodSpec.parse(method.spec());
                CodebookSet books = methods.codebooks(spec, model, tokenizer, null);
                double calibrationSeconds = (System.nanoTime() - t0) / 1e9;
                Map<String, Double> row = new LinkedHashMap<>();
                row.put("key_rel_error", books == null ? Double.NaN : ReplayErrors.keyReconstruction(probe, books));
                row.put("attention_rel_error", ReplayErrors.attentionOutput(probe,
                        methods.factory(method.spec(), model, tokenizer, null), 16));
                String m = modelFolder.toString();
                row.put("nll", mean(runner.run(new Cell(m, method.spec(), null, "perplexity", 2048, 1, 0),
                        runner.sampleIds(new Cell(m, method.spec(), null, "perplexity", 2048, 1, 0), pplWindows)), "nll"));
                // Windows well past 2r, so most of each window's tokens attend to compressed keys and values.
                Cell fidelity = new Cell(m, method.spec(), null, "fidelity", fidelityContext, 2, 0);
                List<SampleResult> f = runner.run(fidelity, runner.sampleIds(fidelity, fidelityWindows));
                row.put("kl", mean(f, "kl"));
                row.put("top1_agreement", mean(f, "top1_agreement"));
                row.put("greedy_exact_match", mean(f, "greedy_exact_match"));
                row.put("passkey_accuracy", mean(runner.run(new Cell(m, method.spec(), null, "passkey", passkeyContext, 1, 0),
                        passkeyIds(passkeyContext)), "accuracy"));
                row.put("ppl", Math.exp(row.get("nll")));
                var footprint = CacheFootprint.of(spec, model.kvLayout(), 4096);
                String json = String.format(Locale.ROOT, "{\"model\": \"%s\", \"family\": \"%s\", \"label\": \"%s\", \"bits\": %s,"
                                + " \"spec\": \"%s\", \"kv_bytes_per_token_at_4096\": %.1f, \"compression_ratio_at_4096\": %.3f,"
                                + " %s, \"calibration_s\": %.1f, \"total_s\": %.1f, \"threads\": %d, \"date\": \"%s\"}",
                        model.name(), method.family(), method.label(), method.bits(), method.spec(), footprint.bytesPerToken(),
                        footprint.compressionRatio(), fields(row), calibrationSeconds, (System.nanoTime() - t0) / 1e9,
                        Parallel.threads(), Instant.now());
                lines.println(json);
                lines.flush();
                System.out.println(json);
            }
        }
    }

    /** Held-out activations for the replayed errors: one 1024-token window after BOS, fp32. */
    private static ActivationProbe probe(Model model, Tokenizer tokenizer, Path datasets) throws IOException {
        String text = String.join("\n\n", io.vecinfer.dataset.TextDocument.load(Datasets.heldout(datasets))
                .stream().map(io.vecinfer.dataset.TextDocument::text).toList());
        int[] ids = tokenizer.encode(text);
        int[] prompt = new int[1025];
        prompt[0] = tokenizer.tokenId("<|begin_of_text|>").orElse(model.config().bosTokenId());
        // The last held-out window, so it does not overlap the perplexity windows at the start.
        System.arraycopy(ids, ids.length - 1024, prompt, 1, 1024);
        ActivationProbe probe = new ActivationProbe(model.kvLayout());
        new Decoder(model).forwardLast(List.of(new Sequence<>(probe)), List.of(prompt));
        return probe;
    }

    private static double mean(List<SampleResult> results, String score) {
        return results.stream().mapToDouble(r -> r.scores().get(score)).average().orElse(Double.NaN);
    }

    private static String fields(Map<String, Double> row) {
        List<String> parts = new ArrayList<>();
        row.forEach((k, v) -> parts.add("\"" + k + "\": " + (v.isNaN() ? "null" : String.format(Locale.ROOT, "%.6g", v))));
        return String.join(", ", parts);
    }
}
