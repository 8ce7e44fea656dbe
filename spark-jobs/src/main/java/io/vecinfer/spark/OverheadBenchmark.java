package io.vecinfer.spark;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.CellRunner;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What running a sweep through Spark costs over running the same work in a plain loop: the sweep
 * (default {@link LocalMain#DEFAULT_SWEEP}) runs (a) through {@link Evaluate} on {@code local[2]} into a
 * fresh output, and (b) as a loop over the same (cell, sample ids) calling the worker's CPU runner
 * directly. Prints the result and writes it as JSON.
 *
 * <p>Fairness:
 * <ul>
 *   <li>Both modes use the same runner instance ({@link Runners#shared}, the CpuCellRunner that
 *       local-mode tasks use), warmed first with one sample of every (model, method): model loading,
 *       task samples, on-demand codebook calibration and most JIT work are paid once, before either
 *       timing, and charged to neither (every (model, task, context) is warmed too, see {@link #warmUp}). A one-cell sweep then runs in both modes, so Spark's first-job
 *       costs (Parquet writer classes, the scheduler's first stage) are not charged either.</li>
 *   <li>The loop is sequential, with the decoder's pool of {@code vecinfer.threads} (default: all
 *       cores) threads. That is the parallelism local[2] really has: its two task threads share the one
 *       runner, whose calls are serialised ({@link Runners#withShared}), each spreading its batch over the
 *       same pool. A loop of two threads would queue on that lock too; two runners would each load the
 *       models and calibrate again, and use twice the threads the Spark side gets.</li>
 *   <li>Spark's time is the whole Evaluate call: planning (listing committed samples, sample ids),
 *       scheduling, and committing Parquet files; that is the overhead being measured. Starting the
 *       SparkSession is reported apart: a fixed cost per run, not per sample.</li>
 * </ul>
 *
 * <p>Usage, from the repository root: {@code spark-jobs/run-main.sh io.vecinfer.spark.OverheadBenchmark [SWEEP_FILE [RESULT_JSON]]}.
 */
public final class OverheadBenchmark {
    public static final String DEFAULT_RESULT = "docs/results/spark-overhead.json";

    private record Timed(long samples, double seconds) {
        double samplesPerSecond() {
            return samples / seconds;
        }
    }

    private OverheadBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path sweepFile = Path.of(args.length > 0 ? args[0] : LocalMain.DEFAULT_SWEEP);
        Path result = Path.of(args.length > 1 ? args[1] : DEFAULT_RESULT);
        SweepFile sweep = SweepFile.read(sweepFile);
        Path scratch = Files.createTempDirectory("vecinfer-overhead");

        long start = System.nanoTime();
        SparkSession spark = SparkSession.builder().appName("vecinfer-overhead").master("local[2]")
                .config("spark.ui.enabled", "false").getOrCreate();
        double sessionStart = seconds(start);
        try {
            CellRunner runner = Runners.shared(new RunnerKey.Cpu(Runners.DEFAULT_CLASS));
            List<PlannedCell> cells = distinctCells(sweep.spec());

            start = System.nanoTime();
            warmUp(runner, cells);
            SweepFile oneCell = oneCellSweep(sweep.spec(), scratch);
            Evaluate.run(spark, oneCell);
            loop(runner, distinctCells(oneCell.spec()));
            double warmUp = seconds(start);

            // Spark first: whatever warming is left then favours the loop, so the overhead is not understated.
            start = System.nanoTime();
            Evaluate.Outcome outcome = Evaluate.run(spark, sweep.withOutput(scratch.resolve("spark").toString()));
            Timed onSpark = new Timed(outcome.committedNow(), seconds(start));
            Timed plain = loop(runner, cells);
            if (onSpark.samples() != plain.samples()) {
                throw new IllegalStateException("Spark committed " + onSpark.samples() + " samples, the loop ran " + plain.samples());
            }
            write(result, report(sweepFile, args, plain, onSpark, sessionStart, warmUp));
        } finally {
            spark.stop();
        }
    }

    /** The sweep's cells, each once (as Evaluate schedules them). */
    private static List<PlannedCell> distinctCells(SweepSpec spec) {
        Map<String, PlannedCell> byHash = new LinkedHashMap<>();
        for (PlannedCell cell : Grid.expand(spec)) byHash.putIfAbsent(cell.configHash(), cell);
        return new ArrayList<>(byHash.values());
    }

    /**
     * One sample of the first cell of every (model, method) and of every (model, task, context): loads
     * models, codebooks and every task's samples, and compiles every task's code paths. (Warming only
     * the methods left the first task of each other kind to the timed loop: a first run measured the
     * loop 24% slower than Spark.)
     */
    private static void warmUp(CellRunner runner, List<PlannedCell> cells) {
        Map<String, PlannedCell> first = new LinkedHashMap<>();
        for (PlannedCell cell : cells) {
            Cell c = cell.cell();
            first.putIfAbsent(c.model() + "|" + c.method(), cell);
            first.putIfAbsent(c.model() + "|" + c.task() + "|" + c.contextLength(), cell);
        }
        for (PlannedCell cell : new LinkedHashSet<>(first.values())) runner.run(cell.cell(), runner.sampleIds(cell.cell(), 1));
    }

    /** The plain loop: every cell's samples through the runner, cell after cell. */
    private static Timed loop(CellRunner runner, List<PlannedCell> cells) {
        long start = System.nanoTime();
        long samples = 0;
        for (PlannedCell cell : cells) {
            samples += runner.run(cell.cell(), runner.sampleIds(cell.cell(), cell.limit())).size();
        }
        return new Timed(samples, seconds(start));
    }

    /** The sweep's first model, method, task and setting, one sample, writing under the scratch folder. */
    private static SweepFile oneCellSweep(SweepSpec spec, Path scratch) throws IOException {
        SweepSpec.Task task = spec.tasks().get(0);
        String model = spec.models().get(0), method = spec.methods().get(0);
        // A codebook given for another (model, method) would fail validation against this sweep.
        List<SweepSpec.Codebook> codebooks = spec.codebooks().stream().filter(c -> c.model().equals(model) && c.method().equals(method)).toList();
        SweepSpec one = new SweepSpec(List.of(model), List.of(method), codebooks,
                List.of(new SweepSpec.Task(task.name(), 1, List.of(task.contextLengths().get(0)))),
                List.of(spec.batchSizes().get(0)), List.of(spec.seeds().get(0)), scratch.resolve("warm-up").toString(),
                spec.backend(), spec.samplesPerTask(), null);
        Path file = scratch.resolve("warm-up.json");
        json().writeValue(file.toFile(), one);
        return SweepFile.read(file);
    }

    private static Map<String, Object> report(Path sweepFile, String[] args, Timed plain, Timed onSpark, double sessionStart, double warmUp) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("date", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("cpu_model", cpuModel());
        machine.put("java", System.getProperty("java.version"));
        machine.put("decoder_threads", io.vecinfer.tensor.Parallel.threads());
        r.put("machine", machine);
        r.put("command", System.getProperty("vecinfer.command",
                "spark-jobs/run-main.sh io.vecinfer.spark.OverheadBenchmark " + String.join(" ", args)).trim());
        r.put("sweep", sweepFile.toString());
        r.put("samples", plain.samples());
        r.put("spark", mode(onSpark, "Evaluate on local[2] into a fresh output: planning, scheduling, Parquet commits"));
        r.put("loop", mode(plain, "the same (cell, sample ids) through the same CpuCellRunner, sequentially"));
        r.put("overhead_percent", round((onSpark.seconds() / plain.seconds() - 1) * 100));
        r.put("spark_session_start_seconds", round(sessionStart));
        r.put("warm_up_seconds", round(warmUp));
        r.put("order", "warm-up, spark, loop");
        System.out.printf("samples %d | loop %.1f s (%.2f samples/s) | spark %.1f s (%.2f samples/s) | overhead %.1f %%%n",
                plain.samples(), plain.seconds(), plain.samplesPerSecond(), onSpark.seconds(), onSpark.samplesPerSecond(),
                (onSpark.seconds() / plain.seconds() - 1) * 100);
        return r;
    }

    private static Map<String, Object> mode(Timed timed, String what) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", round(timed.seconds()));
        m.put("samples_per_second", round(timed.samplesPerSecond()));
        m.put("what", what);
        return m;
    }

    private static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void write(Path file, Map<String, Object> report) throws IOException {
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        json().writeValue(file.toFile(), report);
        System.out.println("wrote " + file);
    }

    private static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
