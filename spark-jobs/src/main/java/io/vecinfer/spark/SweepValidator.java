package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.SampleCatalog;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Checks a sweep before any work starts, and reports every problem at once: a sweep that would fail
 * after an hour on its last cell should fail now.
 */
public final class SweepValidator {
    private SweepValidator() {
    }

    /** Checks the sweep for evaluation; its calibration settings too when it has some (LocalMain then calibrates). */
    public static void validate(SweepFile file, GpuPresence gpus, Configuration hadoopConf) {
        validate(file, gpus, hadoopConf, file.spec().calibration() != null);
    }

    /** @param calibrating also check what {@link Calibrate} needs: the calibration settings and a local output */
    public static void validate(SweepFile file, GpuPresence gpus, Configuration hadoopConf, boolean calibrating) {
        validate(file, gpus, hadoopConf, calibrating, null);
    }

    /**
     * @param catalog where given, every task is also listed at each of its context lengths on each model, as
     *                Evaluate will list it, so that a context a task cannot have on a model (a passkey length
     *                past the model's context, a perplexity window longer than it) is one more problem here
     */
    public static void validate(SweepFile file, GpuPresence gpus, Configuration hadoopConf, boolean calibrating, SampleCatalog catalog) {
        SweepSpec spec = file.spec();
        List<SweepSpecException.Problem> problems = new ArrayList<>();

        if (spec.models().isEmpty()) problems.add(file.problemAt("/models", "no models"));
        for (int i = 0; i < spec.models().size(); i++) {
            if (spec.models().get(i) == null) {
                problems.add(nullEntry(file, "/models/" + i, "a model folder"));
                continue;
            }
            Path model = LocalPaths.resolve(spec.models().get(i));
            if (!Files.isRegularFile(model.resolve("config.json"))) {
                problems.add(file.problemAt("/models/" + i, "not a model folder (no config.json): " + model));
            }
        }

        if (spec.methods().isEmpty()) problems.add(file.problemAt("/methods", "no methods"));
        for (int i = 0; i < spec.methods().size(); i++) {
            if (spec.methods().get(i) == null) {
                problems.add(nullEntry(file, "/methods/" + i, "a method such as fp16"));
                continue;
            }
            try {
                MethodSpec.parse(spec.methods().get(i));
            } catch (IllegalArgumentException e) {
                problems.add(file.problemAt("/methods/" + i, e.getMessage()));
            }
        }

        for (int i = 0; i < spec.codebooks().size(); i++) {
            SweepSpec.Codebook codebook = spec.codebooks().get(i);
            String at = "/codebooks/" + i;
            if (codebook == null) {
                problems.add(nullEntry(file, at, "an object with model, method and path"));
                continue;
            }
            if (codebook.model() == null) {
                problems.add(file.problemAt(at + "/model", "no model given (one of the sweep's models)"));
            } else if (!spec.models().contains(codebook.model())) {
                problems.add(file.problemAt(at + "/model", "not one of the sweep's models: " + codebook.model()));
            }
            if (codebook.method() == null) {
                problems.add(file.problemAt(at + "/method", "no method given (one of the sweep's methods)"));
            } else if (!sameMethodListed(spec.methods(), codebook.method())) problems.add(file.problemAt(at + "/method", "not one of the sweep's methods: " + codebook.method()));
            if (codebook.path() == null || !Files.isRegularFile(LocalPaths.resolve(codebook.path()))) {
                problems.add(file.problemAt(at + "/path", "codebook file not found: " + (codebook.path() == null ? "(none given)" : LocalPaths.resolve(codebook.path()))));
            }
        }

        if (spec.tasks().isEmpty()) problems.add(file.problemAt("/tasks", "no tasks"));
        Set<Integer> wellFormedTasks = new TreeSet<>();
        for (int i = 0; i < spec.tasks().size(); i++) {
            SweepSpec.Task task = spec.tasks().get(i);
            String at = "/tasks/" + i;
            int problemsBefore = problems.size();
            if (task == null) {
                problems.add(nullEntry(file, at, "an object with a name"));
                continue;
            }
            if (task.name() == null) {
                problems.add(file.problemAt(at + "/name", "no task name (known: " + String.join(", ", KnownNames.TASKS) + ")"));
            } else if (!KnownNames.TASKS.contains(task.name())) {
                problems.add(file.problemAt(at + "/name", "unknown task '" + task.name() + "' (known: " + String.join(", ", KnownNames.TASKS) + ")"));
            }
            if (task.limit() < 0) problems.add(file.problemAt(at + "/limit", "must be >= 0 (0 = all samples)"));
            if (task.contextLengths().isEmpty() || task.contextLengths().stream().anyMatch(c -> c == null || c < 0)) {
                problems.add(file.problemAt(at + "/contextLengths", "needs context lengths >= 0 (0 = the task's default)"));
            }
            for (var input : task.inputs().entrySet()) {
                if (input.getValue() == null) {
                    problems.add(file.problemAt(at + "/inputs/" + input.getKey(), "no value"));
                } else if (SweepSpec.Task.isFileInput(input.getKey()) && !Files.isRegularFile(LocalPaths.resolve(input.getValue()))) {
                    problems.add(file.problemAt(at + "/inputs/" + input.getKey(), "file not found: " + LocalPaths.resolve(input.getValue())));
                }
            }
            for (int p = 0; p < task.prefill().size(); p++) {
                String prefill = task.prefill().get(p);
                if (!"exact".equals(prefill) && !"compressed".equals(prefill)) {
                    problems.add(file.problemAt(at + "/prefill/" + p, "unknown prefill '" + prefill + "' (known: exact, compressed)"));
                }
            }
            if (problems.size() == problemsBefore) wellFormedTasks.add(i);
        }

        problems.addAll(conflictingLimits(file));

        // Each entry was read as an integer >= 1 or "auto" (BatchSizeJson); what is left is an empty list or a null entry.
        if (spec.batchSizes().isEmpty() || spec.batchSizes().stream().anyMatch(b -> b == null)) {
            problems.add(file.problemAt("/batchSizes", "needs batch sizes: integers >= 1 or \"auto\""));
        }
        if (spec.seeds().isEmpty() || spec.seeds().stream().anyMatch(s -> s == null)) problems.add(file.problemAt("/seeds", "needs at least one seed"));
        if (spec.samplesPerTask() < 1) problems.add(file.problemAt("/samplesPerTask", "must be >= 1"));

        if (spec.backend() == SweepBackend.CUDA && !gpus.present()) {
            problems.add(file.problemAt("/backend", "the sweep asks for the cuda backend but no GPU is available: " + gpus.how()
                    + "; run on a cluster with spark.executor.resource.gpu.amount=1 and spark.task.resource.gpu.amount=1, or use \"backend\": \"cpu\""));
        }

        if (spec.output() == null || spec.output().isBlank()) {
            problems.add(file.problemAt("/output", "no output folder"));
        } else {
            String why = unwritable(spec.output(), hadoopConf);
            if (why != null) problems.add(file.problemAt("/output", "output folder is not writable: " + why));
        }

        if (calibrating) problems.addAll(calibrationProblems(file, hadoopConf));

        // What the models say about the rest: config.json, tokenizer.json and codebook headers, no weights.
        List<ModelChecks.Model> models = ModelChecks.load(file, problems);
        problems.addAll(ModelChecks.methods(file, models));
        List<ModelChecks.Model> withTokenizer = new ArrayList<>();
        problems.addAll(ModelChecks.tokenizers(file, models, withTokenizer));
        problems.addAll(ModelChecks.codebooks(file, models));
        problems.addAll(ModelChecks.calibrationWindows(file, models));
        if (catalog != null) problems.addAll(taskContexts(file, withTokenizer, wellFormedTasks, catalog));

        if (!problems.isEmpty()) throw new SweepSpecException(problems);
    }

    /**
     * Each well-formed task at each of its context lengths on each model, listed by the catalog Evaluate
     * plans with (config and tokenizer, no weights; the catalog keeps what it built, so Evaluate's own
     * listing costs nothing more). The samples do not depend on the method, batch size or seed.
     */
    private static List<SweepSpecException.Problem> taskContexts(SweepFile file, List<ModelChecks.Model> models, Set<Integer> tasks,
                                                                 SampleCatalog catalog) {
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        for (ModelChecks.Model model : models) {
            for (int t : tasks) {
                SweepSpec.Task task = file.spec().tasks().get(t);
                for (int j = 0; j < task.contextLengths().size(); j++) {
                    int context = task.contextLengths().get(j);
                    Cell cell = new Cell(LocalPaths.absolute(file.spec().models().get(model.index())), KnownNames.REFERENCE_METHOD, null,
                            task.name(), context, 1, 0L, Grid.prefills(task).get(0), Grid.inputs(task));
                    try {
                        catalog.sampleIds(cell, task.limit());
                    } catch (RuntimeException e) {
                        problems.add(file.problemAt("/tasks/" + t + "/contextLengths/" + j, task.name() + " at context length " + context
                                + (context == 0 ? " (the task's default)" : "") + " on " + model + ": " + e.getMessage()));
                    }
                }
            }
        }
        return problems;
    }

    /**
     * The same task at the same context length listed twice with different limits: they are one cell,
     * which would silently keep the first limit.
     */
    private static List<SweepSpecException.Problem> conflictingLimits(SweepFile file) {
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        Map<String, Integer> firstAt = new HashMap<>();
        List<SweepSpec.Task> tasks = file.spec().tasks();
        for (int i = 0; i < tasks.size(); i++) {
            SweepSpec.Task task = tasks.get(i);
            if (task == null || task.name() == null) continue;
            for (Integer context : task.contextLengths()) {
                if (context == null) continue;
                Integer earlier = firstAt.putIfAbsent(task.name() + "@" + context, i);
                if (earlier != null && !tasks.get(earlier).limit().equals(task.limit())) {
                    problems.add(file.problemAt("/tasks/" + i + "/limit", "task " + task.name() + " at context length " + context
                            + " is also listed at tasks[" + earlier + "] with limit " + tasks.get(earlier).limit() + ", here " + task.limit()
                            + ": both are one cell, so give them one limit (or list the task once)"));
                }
            }
        }
        return problems;
    }

    /** Whether the sweep lists the method, in this or another spelling of it (canonical forms compared). */
    private static boolean sameMethodListed(List<String> methods, String method) {
        String wanted = canonicalOrNull(method);
        return wanted != null && methods.stream().anyMatch(m -> wanted.equals(canonicalOrNull(m)));
    }

    private static String canonicalOrNull(String method) {
        try {
            return method == null ? null : Grid.canonical(method);
        } catch (IllegalArgumentException e) {
            return null; // reported where the method is listed
        }
    }

    /** A list entry written as null (or left empty in YAML): named, instead of failing later on it. */
    private static SweepSpecException.Problem nullEntry(SweepFile file, String pointer, String expected) {
        return file.problemAt(pointer, "null entry; expected " + expected);
    }

    private static List<SweepSpecException.Problem> calibrationProblems(SweepFile file, Configuration hadoopConf) {
        SweepSpec.Calibration calibration = file.spec().calibrationOrDefaults();
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        Path text = Path.of(CalibratedCodebooks.Settings.of(calibration).text());
        if (!Files.isRegularFile(text)) {
            problems.add(file.problemAt("/calibration/text", "calibration text not found: " + text
                    + (calibration.text() == null ? " (the default: <datasets>/calibration/calibration.jsonl; set -Dvecinfer.datasets or calibration.text)" : "")));
        }
        if (calibration.windows() < 1) problems.add(file.problemAt("/calibration/windows", "must be >= 1"));
        if (calibration.windowTokens() < 1) problems.add(file.problemAt("/calibration/windowTokens", "must be >= 1"));
        if (calibration.iterations() < 0) problems.add(file.problemAt("/calibration/iterations", "must be >= 0"));
        if (file.spec().output() != null && !file.spec().output().isBlank()
                && CalibratedCodebooks.folder(OutputLayout.qualify(file.spec().output(), hadoopConf)) == null) {
            problems.add(file.problemAt("/output", "calibrated codebooks are read from the output folder with local file access, so it must be"
                    + " a local or shared file system path, not " + OutputLayout.qualify(file.spec().output(), hadoopConf)));
        }
        return problems;
    }

    /** Null when a probe file can be created and deleted in the output folder, else why not. */
    private static String unwritable(String output, Configuration hadoopConf) {
        org.apache.hadoop.fs.Path dir = OutputLayout.qualify(output, hadoopConf);
        try {
            FileSystem fs = dir.getFileSystem(hadoopConf);
            if (!fs.mkdirs(dir)) return dir + " (cannot create it)";
            org.apache.hadoop.fs.Path probe = new org.apache.hadoop.fs.Path(dir, "_write_probe_" + UUID.randomUUID());
            fs.create(probe, false).close();
            fs.delete(probe, false);
            return null;
        } catch (IOException | RuntimeException e) {
            return dir + " (" + e.getMessage() + ")";
        }
    }
}
