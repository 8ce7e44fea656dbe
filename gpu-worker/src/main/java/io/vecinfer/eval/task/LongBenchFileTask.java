package io.vecinfer.eval.task;

import io.vecinfer.dataset.DatasetFormatException;
import io.vecinfer.dataset.JsonLines;
import io.vecinfer.eval.data.LongBenchRecord;
import io.vecinfer.eval.metrics.LongBenchScorer;
import io.vecinfer.eval.metrics.LongBenchTask;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A LongBench (or LongBench-E) file of the user's, named by the cell's {@code inputs.file}: each record's
 * sub-task (its {@code dataset} field, {@code _e} dropped) picks the prompt template and maximum of new
 * tokens; the prompt is cut in the middle to the context budget (context_length, 0 = the model's
 * context less the new tokens), BOS first; greedy decoding; the sub-task's LongBench metric, in [0, 1].
 * {@code inputs.chat = "template"} puts the prompt in the checkpoint's chat template as pred.py's build_chat
 * does ({@link LongBenchPrompts#ids}).
 */
final class LongBenchFileTask implements EvalTask {
    private static final String METRIC = "score";

    private record Parsed(LongBenchRecord record, LongBenchTask subTask, int[] prompt) {
    }

    @Override
    public String name() {
        return "longbench";
    }

    @Override
    public String metric() {
        return METRIC;
    }

    @Override
    public Prefill defaultPrefill() {
        return Prefill.EXACT;
    }

    @Override
    public String description() {
        return "a LongBench-format .jsonl (inputs.file): LongBench's template per sub-task, middle truncation to context_length"
                + " (0 = the model's), the sub-task's max new tokens, greedy; LongBench's metric per sub-task;"
                + " inputs.chat=template for the checkpoint's chat template";
    }

    @Override
    public List<TaskSample> samples(SampleSource source, Cell cell, int limit) {
        Path file = new TaskInputs(cell, Set.of("file", ChatPrompts.INPUT)).file("file", "a LongBench-format .jsonl");
        ChatPrompts format = ChatPrompts.of(source, cell);
        int modelContext = source.config().contextLength();
        List<Parsed> parsed;
        try {
            parsed = JsonLines.read(file, r -> {
                LongBenchRecord record = LongBenchRecord.parse(r);
                LongBenchTask subTask = subTask(record.dataset(), r);
                int maxNew = LongBenchPrompts.maxNewTokens(subTask);
                int budget = cell.contextLength() > 0 ? cell.contextLength() : modelContext - maxNew;
                if (budget < 2 || budget + maxNew > modelContext) {
                    throw r.problem("context", "a prompt of " + budget + " tokens (context_length " + cell.contextLength()
                            + ") plus " + maxNew + " new tokens of " + subTask.datasetName() + " cannot fit "
                            + source.modelName() + "'s context of " + modelContext + ", even after truncation");
                }
                int[] prompt = LongBenchPrompts.ids(subTask, LongBenchPrompts.prompt(subTask, record), format, source.tokenizer(), budget);
                return new Parsed(record, subTask, prompt);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        List<TaskSample> samples = new ArrayList<>();
        for (Parsed p : parsed) {
            if (limit > 0 && samples.size() == limit) break;
            LongBenchRecord r = p.record();
            samples.add(new TaskSample(p.subTask().datasetName() + "/" + r.id(), p.prompt(), String.join(" | ", r.answers()),
                    LongBenchPrompts.maxNewTokens(p.subTask()), r.answers(), r.length(), r.allClasses()));
        }
        return samples;
    }

    /** The sub-task of a record's {@code dataset} field; LongBench-E files name theirs with an {@code _e}. */
    static LongBenchTask subTask(String dataset, io.vecinfer.dataset.JsonRecord r) throws DatasetFormatException {
        String name = dataset.endsWith("_e") ? dataset.substring(0, dataset.length() - 2) : dataset;
        try {
            return LongBenchTask.fromDatasetName(name);
        } catch (IllegalArgumentException e) {
            throw r.problem("dataset", "unknown sub-task '" + dataset + "' (known: "
                    + String.join(", ", Arrays.stream(LongBenchTask.values()).map(LongBenchTask::datasetName).toList()) + ")");
        }
    }

    @Override
    public <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch) {
        return GreedyGeneration.run(context, batch, GreedyGeneration.StopRule.NONE, (sample, text) -> {
            LongBenchTask subTask = LongBenchTask.fromDatasetName(sample.id().substring(0, sample.id().indexOf('/')));
            return Map.of(METRIC, LongBenchScorer.sampleScore(subTask, text, sample.references(), sample.classes()));
        });
    }
}
