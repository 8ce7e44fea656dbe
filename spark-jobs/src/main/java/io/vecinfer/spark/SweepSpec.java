package io.vecinfer.spark;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.vecinfer.eval.task.BatchSize;

import java.util.List;

/**
 * A sweep as written in its JSON or YAML file: the axes of the grid and where results go.
 * Field names are the file's keys. Missing optional fields get their defaults here, so that the
 * rest of the code never sees a null list.
 *
 * @param models         checkpoint folders (each with config.json); relative paths are resolved against the working directory
 * @param methods        KV-cache method specs
 * @param codebooks      optional codebook file per (model, method)
 * @param tasks          tasks with their sample limits and context lengths
 * @param batchSizes     requested batches, each a grid axis value: an integer >= 1 or {@code "auto"}, as many of a
 *                       task's slice as fit on the device (default ["auto"] for the cuda backend, [1] for cpu)
 * @param seeds          seeds (default [0])
 * @param output         output folder (a local path or a Hadoop URI); samples/ and metrics/ go under it
 * @param backend        cpu (default) or cuda: each task on the GPU Spark assigned it (device 0 in local mode), the CPU where it has none
 * @param samplesPerTask work items per Spark task: the unit of scheduling and of durable output (default
 *                       {@value #CUDA_SAMPLES_PER_TASK} for cuda, {@value #CPU_SAMPLES_PER_TASK} for cpu). A task's
 *                       slice is rounded up to whole batches ({@link CellJobs#sliceSize}); an auto batch is cut from
 *                       the slice by the device, so on a GPU the slice is large enough to fill it, while a task's
 *                       rows still commit often enough that a lost task costs little
 * @param calibration    optional: how {@link Calibrate} fits codebooks for VQ methods given none; when
 *                       present, {@link LocalMain} calibrates before evaluating ({@code {}} asks for the defaults)
 */
public record SweepSpec(List<String> models, List<String> methods, List<Codebook> codebooks, List<Task> tasks,
                        @JsonDeserialize(contentUsing = BatchSizeJson.class) List<BatchSize> batchSizes, List<Long> seeds, String output, SweepBackend backend, Integer samplesPerTask,
                        Calibration calibration) {

    public static final int CPU_SAMPLES_PER_TASK = 8, CUDA_SAMPLES_PER_TASK = 64;

    public SweepSpec {
        backend = backend == null ? SweepBackend.CPU : backend;
        boolean cuda = backend == SweepBackend.CUDA;
        models = models == null ? List.of() : models;
        methods = methods == null ? List.of() : methods;
        codebooks = codebooks == null ? List.of() : codebooks;
        tasks = tasks == null ? List.of() : tasks;
        batchSizes = batchSizes == null ? List.of(cuda ? BatchSize.AUTO : BatchSize.fixed(1)) : batchSizes;
        seeds = seeds == null ? List.of(0L) : seeds;
        samplesPerTask = samplesPerTask == null ? (cuda ? CUDA_SAMPLES_PER_TASK : CPU_SAMPLES_PER_TASK) : samplesPerTask;
    }

    /**
     * @param name           a task from {@link KnownNames#TASKS}
     * @param limit          samples per cell (0 = all the task has)
     * @param contextLengths context lengths in tokens (default [0], the task's default)
     * @param prefill        {@code exact} and/or {@code compressed}, one cell each (default: the task's own,
     *                       exact for generation tasks, compressed for perplexity and fidelity)
     * @param inputs         the user's files and options the task reads (longbench: file; gsm8k: file, trainFile,
     *                       shots; any generation task: chat = "template" for the checkpoint's chat template);
     *                       values of keys ending in "file"/"File" are paths, resolved like models
     */
    public record Task(String name, Integer limit, List<Integer> contextLengths, List<String> prefill,
                       java.util.Map<String, String> inputs) {
        public Task {
            limit = limit == null ? 0 : limit;
            contextLengths = contextLengths == null ? List.of(0) : contextLengths;
            prefill = prefill == null ? List.of() : prefill;
            inputs = inputs == null ? java.util.Map.of() : inputs;
        }

        public Task(String name, Integer limit, List<Integer> contextLengths) {
            this(name, limit, contextLengths, null, null);
        }

        /** Whether an input names a file (and so is checked and made absolute). */
        public static boolean isFileInput(String key) {
            return key.endsWith("file") || key.endsWith("File");
        }
    }

    /** The codebook file that {@code method} uses on {@code model}. */
    public record Codebook(String model, String method, String path) {
    }

    /**
     * Calibration settings; the defaults are those of the worker's on-demand calibration
     * ({@link io.vecinfer.eval.task.KvMethods}), so calibrating ahead gives the codebooks a run without it would fit.
     *
     * @param text         calibration text (JSONL); default {@code <datasets>/calibration/calibration.jsonl}, resolved where it is used
     * @param windows      windows of text (default 8)
     * @param windowTokens tokens per window (default 512)
     * @param iterations   k-means iterations (default 30)
     * @param seed         k-means seed (default 0)
     */
    public record Calibration(String text, Integer windows, Integer windowTokens, Integer iterations, Long seed) {
        public static final Calibration DEFAULTS = new Calibration(null, null, null, null, null);

        public Calibration {
            windows = windows == null ? io.vecinfer.eval.task.KvMethods.CALIBRATION_WINDOWS : windows;
            windowTokens = windowTokens == null ? io.vecinfer.eval.task.KvMethods.CALIBRATION_WINDOW_TOKENS : windowTokens;
            iterations = iterations == null ? io.vecinfer.quant.vq.KMeansConfig.PAPER_ITERATIONS : iterations;
            seed = seed == null ? 0L : seed;
        }
    }

    /** The calibration settings to use: the sweep's, or the defaults when it gives none. */
    public Calibration calibrationOrDefaults() {
        return calibration == null ? Calibration.DEFAULTS : calibration;
    }

    public SweepSpec withOutput(String newOutput) {
        return new SweepSpec(models, methods, codebooks, tasks, batchSizes, seeds, newOutput, backend, samplesPerTask, calibration);
    }

    /** The same sweep with other codebook files (Evaluate adds the calibrated ones). */
    public SweepSpec withCodebooks(List<Codebook> newCodebooks) {
        return new SweepSpec(models, methods, newCodebooks, tasks, batchSizes, seeds, output, backend, samplesPerTask, calibration);
    }
}
