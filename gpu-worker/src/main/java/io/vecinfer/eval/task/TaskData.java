package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.eval.data.PasskeyRecord;
import io.vecinfer.dataset.TextDocument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shipped datasets as tasks read them; a bad file fails with the loader's file/line/field message. */
final class TaskData {
    /** The held-out text and the passkey samples, relative to the datasets folder. */
    static final String HELDOUT = "heldout/heldout.jsonl", PASSKEY = "passkey/passkey.jsonl";

    private TaskData() {
    }

    static List<String> texts(Path file) {
        try {
            return TextDocument.load(file).stream().map(TextDocument::text).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * Consecutive windows of the held-out text (documents joined by blank lines, tokenized once), each
     * after BOS; refused when a window and what the task generates after it do not fit the model.
     */
    static List<TaskSample> heldoutWindows(SampleSource source, String task, String idPrefix, int window, int limit,
                                           int newTokens) {
        int modelContext = source.config().contextLength();
        if (window + 1 + newTokens > modelContext) {
            throw new IllegalArgumentException(task + ": a window of " + window + " tokens plus BOS" + (newTokens > 0 ? " and "
                    + newTokens + " generated" : "") + " does not fit " + source.modelName() + "'s context of " + modelContext);
        }
        Path file = Datasets.heldout(source.datasets());
        int[] ids = source.tokenizer().encode(String.join("\n\n", texts(file)));
        List<TaskSample> samples = new ArrayList<>();
        for (int w = 0; (w + 1) * window <= ids.length && (limit == 0 || w < limit); w++) {
            int[] prompt = new int[window + 1];
            prompt[0] = source.bosId();
            System.arraycopy(ids, w * window, prompt, 1, window);
            samples.add(new TaskSample(idPrefix + "-" + window + "-w" + w, prompt, null, newTokens));
        }
        if (samples.isEmpty()) throw new IllegalArgumentException(file + ": shorter than one window of " + window + " tokens");
        return samples;
    }

    static List<PasskeyRecord> passkeys(Path file) {
        try {
            return PasskeyRecord.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
