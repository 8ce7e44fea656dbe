import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.cuda.decoder.CudaBackend;
import io.vecinfer.decoder.CpuBackend;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.eval.task.BatchSize;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.KvMethods;
import io.vecinfer.eval.task.ModelCellRunner;
import io.vecinfer.eval.task.SampleResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The go/no-go evaluation of a freshly trained long-context model (issue 17), without Spark: the evaluator's own cells
 * (the same {@link Cell} a sweep builds: fp16, batch auto, seed 0, the task's default prefill, i.e. exact) through
 * {@link ModelCellRunner}, the runner a Spark executor holds, on the CUDA backend. Samples are the cell's first
 * --limit ids, i.e. held-out text and indices 0..limit-1, the same samples as the long-context suite's first ones.
 * <pre>
 *   java --add-modules=jdk.incubator.vector -cp '.device-bundle/lib/*:.lcm-quick-eval/quick-eval.jar' QuickEval \
 *       --model /tmp/long-context-model --datasets datasets --backend cuda --limit 100 \
 *       --cells ruler_niah_multikey@8064,ruler_niah_multikey@4096,... --out quick-eval.json
 * </pre>
 * The JSON (per cell: n, mean of string_match_all, its standard error s/sqrt(n), seconds, the per-sample scores and
 * answers) is rewritten after every cell, so a run cut short keeps the cells that finished. Not part of the build: this
 * file is compiled against the device bundle's jars by build-quick-eval.sh.
 */
public final class QuickEval {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Path model = null, datasets = Path.of("datasets"), out = Path.of("quick-eval.json");
        String backend = "cuda", cells = null;
        int limit = 100;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[i + 1]);
                case "--datasets" -> datasets = Path.of(args[i + 1]);
                case "--backend" -> backend = args[i + 1];
                case "--limit" -> limit = Integer.parseInt(args[i + 1]);
                case "--cells" -> cells = args[i + 1];
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--model --datasets --backend cuda|cpu --limit --cells TASK@LENGTH,... --out)");
            }
        }
        if (model == null || cells == null) throw new IllegalArgumentException("--model and --cells are required");
        ObjectNode result = JSON.createObjectNode();
        result.put("what", "fp16 cells of the RULER-style suite through ModelCellRunner (batch auto, seed 0, prefill exact), "
                + "held-out text, sample indices 0.." + (limit - 1) + "; mean of string_match_all, se = s / sqrt(n)");
        result.put("model", model.toString());
        result.put("backend", backend);
        result.put("date", Instant.now().toString());
        ArrayNode rows = result.putArray("cells");
        String folder = model.toAbsolutePath().toString();
        ExecutionBackend<?> on = backend.equals("cuda") ? new CudaBackend(0) : new CpuBackend();
        long start = System.nanoTime();
        try (ModelCellRunner runner = new ModelCellRunner(datasets.toAbsolutePath(), new KvMethods(datasets.toAbsolutePath()), on)) {
            for (String spec : cells.split(",")) {
                String[] tl = spec.split("@");
                Cell cell = new Cell(folder, "fp16", null, tl[0], Integer.parseInt(tl[1]), BatchSize.AUTO_CODE, 0);
                List<String> ids = runner.sampleIds(cell, limit);
                long t0 = System.nanoTime();
                List<SampleResult> done = runner.run(cell, ids);
                double seconds = (System.nanoTime() - t0) / 1e9;
                List<Double> scores = new ArrayList<>();
                for (SampleResult r : done) scores.add(r.scores().get("string_match_all"));
                double mean = scores.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
                double ss = scores.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum();
                int n = scores.size();
                ObjectNode row = rows.addObject();
                row.put("task", tl[0]).put("context_length", cell.contextLength()).put("n", n)
                        .put("mean", mean).put("se", n > 1 ? Math.sqrt(ss / (n - 1) / n) : Double.NaN)
                        .put("seconds", Math.round(seconds * 10) / 10.0)
                        .put("ran_on", done.isEmpty() ? "" : done.get(0).backend() + " " + done.get(0).device())
                        .put("device_batch", done.stream().mapToInt(SampleResult::deviceBatch).max().orElse(0));
                ArrayNode samples = row.putArray("samples");
                for (SampleResult r : done) {
                    samples.addObject().put("id", r.sampleId()).put("score", r.scores().get("string_match_all"))
                            .put("reference", r.reference()).put("prediction", r.prediction());
                }
                result.put("seconds", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
                Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
                System.out.printf("%s@%d n=%d mean=%.3f se=%.3f %.1fs%n", tl[0], cell.contextLength(), n, mean,
                        row.get("se").asDouble(), seconds);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            result.put("error", e.toString());
            Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
            throw e;
        }
    }
}
