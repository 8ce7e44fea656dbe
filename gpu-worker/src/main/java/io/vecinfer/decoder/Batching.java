package io.vecinfer.decoder;

import io.vecinfer.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What every backend does around its forward pass: the input checks (same messages everywhere) and the
 * split of long inputs into chunks, so that activation memory stays bounded however long a prefill is.
 */
public final class Batching {
    /** Rows per forward chunk. */
    public static final int CHUNK_ROWS = 512;

    private Batching() {
    }

    /** A backend's forward pass over at most {@link #CHUNK_ROWS} rows; it advances the sequences. */
    @FunctionalInterface
    public interface Pass {
        float[][] run(List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition);
    }

    /** Checks the input, then runs it in one pass or, when longer than a chunk, sequence by sequence in chunks. */
    public static float[][] forward(ModelConfig config, List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition,
                                    Pass pass) {
        int total = check(config, sequences, newTokens);
        if (total <= CHUNK_ROWS) return pass.run(sequences, newTokens, everyPosition);
        List<float[]> out = new ArrayList<>();
        for (int s = 0; s < sequences.size(); s++) {
            int[] tokens = newTokens.get(s);
            for (int from = 0; from < tokens.length; from += CHUNK_ROWS) {
                int to = Math.min(tokens.length, from + CHUNK_ROWS);
                float[][] logits = pass.run(List.of(sequences.get(s)), List.of(Arrays.copyOfRange(tokens, from, to)), everyPosition);
                if (everyPosition) out.addAll(List.of(logits));
                else if (to == tokens.length) out.add(logits[0]);
            }
        }
        return out.toArray(new float[0][]);
    }

    /** Validates lengths against the context and token ids against the vocabulary; returns the number of rows. */
    public static int check(ModelConfig config, List<Sequence> sequences, List<int[]> newTokens) {
        if (sequences.size() != newTokens.size()) throw new IllegalArgumentException("one token array per sequence");
        int total = 0;
        for (int s = 0; s < sequences.size(); s++) {
            int end = sequences.get(s).position() + newTokens.get(s).length;
            if (end > config.contextLength()) {
                throw new IllegalArgumentException("sequence " + s + " would reach " + end + " tokens, beyond the model's"
                        + " context of " + config.contextLength() + " (max_position_embeddings"
                        + (config.slidingWindow() != null ? " / sliding_window" : "") + " in config.json)");
            }
            for (int token : newTokens.get(s)) {
                if (token < 0 || token >= config.vocabSize()) {
                    throw new IllegalArgumentException("sequence " + s + ": token id " + token + " outside the vocabulary of "
                            + config.vocabSize());
                }
            }
            total += newTokens.get(s).length;
        }
        return total;
    }
}
