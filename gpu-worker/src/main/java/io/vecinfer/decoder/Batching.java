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
    /** Rows per forward chunk on the CPU, and the most a device cache that keeps a ring of chunks takes at once. */
    public static final int CHUNK_ROWS = 512;

    private Batching() {
    }

    /** A backend's forward pass over at most a chunk of rows; it advances the sequences. */
    @FunctionalInterface
    public interface Pass {
        float[][] run(List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition);
    }

    /**
     * One forward pass's share of the input: the sequences it advances and their new tokens. Its rows are the next
     * ones of the whole input, sequence after sequence; {@code endsSequences} when it holds the last new token of
     * each of its sequences (the rows forwardLast keeps).
     */
    public record Chunk(List<Sequence> sequences, List<int[]> newTokens, boolean endsSequences) {
        public int rows() {
            int rows = 0;
            for (int[] t : newTokens) rows += t.length;
            return rows;
        }
    }

    /** Checks the input, then runs it in one pass or, when longer than {@link #CHUNK_ROWS}, sequence by sequence in chunks. */
    public static float[][] forward(ModelConfig config, List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition,
                                    Pass pass) {
        return forward(config, sequences, newTokens, everyPosition, CHUNK_ROWS, pass);
    }

    /** As {@link #forward(ModelConfig, List, List, boolean, Pass)} with chunks of at most {@code chunkRows} rows. */
    public static float[][] forward(ModelConfig config, List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition,
                                    int chunkRows, Pass pass) {
        List<float[]> out = new ArrayList<>();
        for (Chunk chunk : chunks(config, sequences, newTokens, chunkRows)) {
            float[][] logits = pass.run(chunk.sequences(), chunk.newTokens(), everyPosition);
            if (everyPosition || chunk.endsSequences()) out.addAll(List.of(logits));
        }
        return out.toArray(new float[0][]);
    }

    /**
     * Checks the input, then splits it into passes: all of it in one when it has at most {@code chunkRows} rows,
     * else sequence by sequence, each in chunks of {@code chunkRows}. Nothing has run when this throws.
     */
    public static List<Chunk> chunks(ModelConfig config, List<Sequence> sequences, List<int[]> newTokens, int chunkRows) {
        if (chunkRows <= 0) throw new IllegalArgumentException("chunks of " + chunkRows + " rows");
        int total = check(config, sequences, newTokens);
        if (total <= chunkRows) return List.of(new Chunk(sequences, newTokens, true));
        List<Chunk> chunks = new ArrayList<>();
        for (int s = 0; s < sequences.size(); s++) {
            int[] tokens = newTokens.get(s);
            for (int from = 0; from < tokens.length; from += chunkRows) {
                int to = Math.min(tokens.length, from + chunkRows);
                chunks.add(new Chunk(List.of(sequences.get(s)), List.of(Arrays.copyOfRange(tokens, from, to)), to == tokens.length));
            }
        }
        return chunks;
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
