package io.vecinfer.decoder;

import io.vecinfer.kvcache.SequenceCache;
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
    public interface Pass<C extends SequenceCache> {
        float[][] run(List<Sequence<C>> sequences, List<int[]> newTokens, boolean everyPosition);
    }

    /**
     * One forward pass's share of the input: the sequences it advances and their new tokens. Its rows are the next
     * ones of the whole input, sequence after sequence; {@code ends[i]} when it holds the last new token of sequence i
     * (whose row forwardLast keeps).
     */
    public record Chunk<C extends SequenceCache>(List<Sequence<C>> sequences, List<int[]> newTokens, boolean[] ends) {
        public int rows() {
            int rows = 0;
            for (int[] t : newTokens) rows += t.length;
            return rows;
        }
    }

    /** Checks the input, then runs it in one pass or, when longer than {@link #CHUNK_ROWS}, sequence by sequence in chunks. */
    public static <C extends SequenceCache> float[][] forward(ModelConfig config, List<Sequence<C>> sequences, List<int[]> newTokens,
                                                              boolean everyPosition, Pass<C> pass) {
        return forward(config, sequences, newTokens, everyPosition, CHUNK_ROWS, pass);
    }

    /** As {@link #forward(ModelConfig, List, List, boolean, Pass)} with chunks of at most {@code chunkRows} rows. */
    public static <C extends SequenceCache> float[][] forward(ModelConfig config, List<Sequence<C>> sequences, List<int[]> newTokens,
                                                              boolean everyPosition, int chunkRows, Pass<C> pass) {
        return forward(chunks(config, sequences, newTokens, chunkRows), everyPosition, pass);
    }

    /** Runs checked chunks in order: every row's logits, or ({@code everyPosition} false) each sequence's last. */
    public static <C extends SequenceCache> float[][] forward(List<Chunk<C>> chunks, boolean everyPosition, Pass<C> pass) {
        List<float[]> out = new ArrayList<>();
        for (Chunk<C> chunk : chunks) {
            float[][] logits = pass.run(chunk.sequences(), chunk.newTokens(), everyPosition);
            for (int i = 0; i < logits.length; i++) if (everyPosition || chunk.ends()[i]) out.add(logits[i]);
        }
        return out.toArray(new float[0][]);
    }

    /**
     * Checks the input, then splits it into passes: all of it in one when it has at most {@code chunkRows} rows,
     * else sequence by sequence, each in chunks of {@code chunkRows}. Nothing has run when this throws.
     */
    public static <C extends SequenceCache> List<Chunk<C>> chunks(ModelConfig config, List<Sequence<C>> sequences, List<int[]> newTokens, int chunkRows) {
        if (chunkRows <= 0) throw new IllegalArgumentException("chunks of " + chunkRows + " rows");
        int total = check(config, sequences, newTokens);
        if (total <= chunkRows) {
            boolean[] ends = new boolean[sequences.size()];
            Arrays.fill(ends, true);
            return List.of(new Chunk<>(sequences, newTokens, ends));
        }
        List<Chunk<C>> chunks = new ArrayList<>();
        for (int s = 0; s < sequences.size(); s++) {
            int[] tokens = newTokens.get(s);
            for (int from = 0; from < tokens.length; from += chunkRows) {
                int to = Math.min(tokens.length, from + chunkRows);
                chunks.add(new Chunk<>(List.of(sequences.get(s)), List.of(Arrays.copyOfRange(tokens, from, to)), new boolean[]{to == tokens.length}));
            }
        }
        return chunks;
    }

    /**
     * Checks the input, then packs it into passes of {@code chunkRows} rows each (the last may be shorter): sequences in
     * order, each cut where a pass is full and continued in the next, so that a batch of short prompts fills whole
     * passes (8 × 1024 tokens: two passes of 4096 rows, not eight of 1024). Each sequence appears at most once per pass,
     * its tokens in order; rows stay sequence after sequence. For backends whose per-row results do not depend on which
     * rows share a pass (the CUDA decoder); the CPU keeps {@link #chunks}, the rule its results were recorded with.
     */
    public static <C extends SequenceCache> List<Chunk<C>> packedChunks(ModelConfig config, List<Sequence<C>> sequences, List<int[]> newTokens, int chunkRows) {
        if (chunkRows <= 0) throw new IllegalArgumentException("chunks of " + chunkRows + " rows");
        int total = check(config, sequences, newTokens);
        if (total <= chunkRows) return chunks(config, sequences, newTokens, chunkRows);
        List<Chunk<C>> chunks = new ArrayList<>();
        List<Sequence<C>> passSequences = new ArrayList<>();
        List<int[]> passTokens = new ArrayList<>();
        List<Boolean> passEnds = new ArrayList<>();
        int room = chunkRows;
        for (int s = 0; s < sequences.size(); s++) {
            int[] tokens = newTokens.get(s);
            for (int from = 0; from < tokens.length; ) {
                int to = Math.min(tokens.length, from + room);
                passSequences.add(sequences.get(s));
                passTokens.add(Arrays.copyOfRange(tokens, from, to));
                passEnds.add(to == tokens.length);
                room -= to - from;
                from = to;
                if (room == 0) {
                    chunks.add(chunk(passSequences, passTokens, passEnds));
                    room = chunkRows;
                }
            }
        }
        if (!passSequences.isEmpty()) chunks.add(chunk(passSequences, passTokens, passEnds));
        return chunks;
    }

    /** A chunk of what has been gathered, which is then cleared for the next pass. */
    private static <C extends SequenceCache> Chunk<C> chunk(List<Sequence<C>> sequences, List<int[]> tokens, List<Boolean> ends) {
        boolean[] e = new boolean[ends.size()];
        for (int i = 0; i < e.length; i++) e[i] = ends.get(i);
        Chunk<C> chunk = new Chunk<>(List.copyOf(sequences), List.copyOf(tokens), e);
        sequences.clear();
        tokens.clear();
        ends.clear();
        return chunk;
    }

    /** Validates lengths against the context and token ids against the vocabulary; returns the number of rows. */
    public static int check(ModelConfig config, List<? extends Sequence<?>> sequences, List<int[]> newTokens) {
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
