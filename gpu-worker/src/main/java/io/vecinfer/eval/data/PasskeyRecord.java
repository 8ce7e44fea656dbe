package io.vecinfer.eval.data;

import io.vecinfer.dataset.JsonLines;
import io.vecinfer.dataset.JsonRecord;
import io.vecinfer.dataset.DatasetFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One passkey sample of datasets/passkey: a key planted at a depth of a haystack cut to context_tokens
 * with the model's own tokenizer (datasets/passkey/README.md gives the assembly).
 */
public record PasskeyRecord(String id, int contextTokens, double depth, String key, String needle, String question,
                            String answer, String haystack) {

    public static List<PasskeyRecord> load(Path file) throws IOException {
        return JsonLines.read(file, PasskeyRecord::parse);
    }

    static PasskeyRecord parse(JsonRecord r) throws DatasetFormatException {
        int tokens = r.integer("context_tokens");
        if (tokens <= 0) throw r.problem("context_tokens", "must be positive, is " + tokens);
        double depth = r.number("depth");
        if (!(depth >= 0 && depth <= 1)) throw r.problem("depth", "must be in [0, 1], is " + depth);
        return new PasskeyRecord(r.text("id"), tokens, depth, r.text("key"), r.text("needle"), r.text("question"),
                r.text("answer"), r.text("haystack"));
    }
}
