package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.eval.ruler.RulerGenerator;
import io.vecinfer.eval.ruler.RulerKind;
import io.vecinfer.eval.ruler.RulerSample;
import io.vecinfer.eval.ruler.RulerScoring;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One RULER-style task ({@link RulerKind}) on prompts generated from the shipped held-out text; each
 * context length is a cell (default 1024 tokens, up to the model's context less the generated tokens).
 * Greedy decoding to the task's maximum or end of sequence; scored by RULER's string_match_all.
 * {@code inputs.chat = "template"} puts the prompt's tokens (BOS aside) inside the checkpoint's chat template.
 */
public final class RulerTask implements EvalTask {
    /** Samples per (task, length), as "all" (limit 0) lists them. */
    static final int SAMPLES = 32;
    /**
     * The most a limit may ask for: prompts are generated per index, so a cell can have more than "all" when a
     * sweep needs smaller standard errors. Indices stay far below RulerTrainingData.FIRST_INDEX, so no training
     * example of the long-context model shares a seed with an evaluation sample.
     */
    static final int MAX_SAMPLES = 1000;
    static final int DEFAULT_LENGTH = 1024;
    private static final String METRIC = "string_match_all";

    private final RulerKind kind;

    RulerTask(RulerKind kind) {
        this.kind = kind;
    }

    static List<EvalTask> all() {
        List<EvalTask> tasks = new ArrayList<>();
        for (RulerKind k : RulerKind.values()) tasks.add(new RulerTask(k));
        return tasks;
    }

    @Override
    public String name() {
        return "ruler_" + kind.label();
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
    public List<String> datasetFiles() {
        return List.of(TaskData.HELDOUT); // the haystack text
    }

    @Override
    public String description() {
        return "RULER " + kind.label() + " generated from the held-out text; context_length tokens (default " + DEFAULT_LENGTH
                + "); greedy up to " + kind.maxNewTokens() + " tokens; RULER's string_match_all";
    }

    @Override
    public List<TaskSample> samples(SampleSource source, Cell cell, int limit) {
        Prompts prompts = prompts(source, cell);
        List<TaskSample> samples = new ArrayList<>();
        for (int i = 0; i < (limit > 0 ? Math.min(limit, MAX_SAMPLES) : SAMPLES); i++) samples.add(prompts.sample(i));
        return samples;
    }

    /** Ids are {@code <name>-<length>-<index>}: any index below {@link #MAX_SAMPLES} is a sample of the cell. */
    @Override
    public List<TaskSample> samplesById(SampleSource source, Cell cell, List<String> ids) {
        String prefix = name() + "-" + length(cell) + "-";
        List<Integer> indices = new ArrayList<>();
        for (String id : ids) {
            if (!id.startsWith(prefix) || !id.substring(prefix.length()).matches("\\d{4,}")) continue;
            int index = Integer.parseInt(id.substring(prefix.length()));
            if (index < MAX_SAMPLES) indices.add(index);
        }
        if (indices.isEmpty()) return List.of();
        Prompts prompts = prompts(source, cell); // one generator (it tokenizes the whole held-out text) for all of them
        List<TaskSample> samples = new ArrayList<>();
        for (int index : indices) samples.add(prompts.sample(index));
        return samples;
    }

    private static int length(Cell cell) {
        return cell.contextLength() > 0 ? cell.contextLength() : DEFAULT_LENGTH;
    }

    /** The cell's prompt builder: its generator over the held-out text, in the cell's prompt format. */
    private Prompts prompts(SampleSource source, Cell cell) {
        int length = length(cell);
        int modelContext = source.config().contextLength();
        ChatPrompts format = ChatPrompts.of(source, cell);
        int promptTokens = length + (format.templated() ? format.overhead() - 1 : 0);
        if (promptTokens + kind.maxNewTokens() > modelContext) {
            throw new IllegalArgumentException(name() + ": " + promptTokens + " tokens + " + kind.maxNewTokens() + " generated do not fit "
                    + source.modelName() + "'s context of " + modelContext);
        }
        RulerGenerator generator = new RulerGenerator(source.tokenizer(), source.bosId(),
                String.join("\n\n", TaskData.texts(Datasets.heldout(source.datasets()))));
        return new Prompts(kind, length, generator, format);
    }

    private record Prompts(RulerKind kind, int length, RulerGenerator generator, ChatPrompts format) {
        TaskSample sample(int index) {
            RulerSample s = generator.sample(kind, length, index);
            return new TaskSample(s.id(), format.wrap(s.prompt()), String.join(", ", s.references()), s.maxNewTokens(), s.references());
        }
    }

    @Override
    public <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch) {
        return GreedyGeneration.run(context, batch, GreedyGeneration.StopRule.NONE,
                (sample, text) -> Map.of(METRIC, RulerScoring.stringMatchAll(text, sample.references())));
    }
}
