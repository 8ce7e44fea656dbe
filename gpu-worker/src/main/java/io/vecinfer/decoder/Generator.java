package io.vecinfer.decoder;

import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SequenceCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Generates continuations for a batch of prompts of different lengths, each with its own KV cache of the decoder's kind. */
public final class Generator<C extends SequenceCache> {
    private final DecoderBackend<C> decoder;
    private final CacheFactory<C> caches;
    private final KvLayout layout;

    public Generator(DecoderBackend<C> decoder, CacheFactory<C> caches, KvLayout layout) {
        this.decoder = decoder;
        this.caches = caches;
        this.layout = layout;
    }

    /** Up to maxNewTokens new tokens per prompt; a sequence stops after emitting stopToken (kept in its output). */
    public List<int[]> generate(List<int[]> prompts, int maxNewTokens, Sampling sampling, int stopToken) {
        int n = prompts.size();
        List<Sequence<C>> sequences = new ArrayList<>();
        List<SplittableRandom> randoms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sequences.add(new Sequence<>(caches.create(layout)));
            randoms.add(sampling.randomFor(i));
        }
        try {
            return generate(prompts, maxNewTokens, sampling, stopToken, sequences, randoms);
        } finally {
            Sequence.closeAll(sequences);
        }
    }

    private List<int[]> generate(List<int[]> prompts, int maxNewTokens, Sampling sampling, int stopToken,
                                 List<Sequence<C>> sequences, List<SplittableRandom> randoms) {
        int n = prompts.size();
        int[][] out = new int[n][maxNewTokens];
        int[] produced = new int[n];
        if (maxNewTokens == 0) return toList(out, produced);
        float[][] logits = decoder.forwardLast(sequences, prompts);
        sequences.forEach(Sequence::endPrompt);
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < n; i++) active.add(i);
        while (true) {
            List<Integer> still = new ArrayList<>();
            for (int a = 0; a < active.size(); a++) {
                int i = active.get(a);
                int token = sampling.next(logits[a], randoms.get(i));
                out[i][produced[i]++] = token;
                if (token != stopToken && produced[i] < maxNewTokens) still.add(i);
            }
            if (still.isEmpty()) break;
            List<Sequence<C>> stepSequences = new ArrayList<>();
            List<int[]> stepTokens = new ArrayList<>();
            for (int i : still) {
                stepSequences.add(sequences.get(i));
                stepTokens.add(new int[]{out[i][produced[i] - 1]});
            }
            logits = decoder.forwardLast(stepSequences, stepTokens);
            active = still;
        }
        return toList(out, produced);
    }

    /**
     * Greedy continuation of sequences whose next tokens are given (the argmax of their last logits): n tokens each,
     * the given ones first, all sequences stepping together (no stop token), so every step is one batched forward
     * pass, reduced to its argmax where the logits are ({@link DecoderBackend#greedyLast}).
     */
    public static <C extends SequenceCache> int[][] continueGreedy(DecoderBackend<C> decoder, List<Sequence<C>> sequences, int[] firstTokens, int n) {
        int[][] generated = new int[sequences.size()][n];
        int[] tokens = firstTokens;
        for (int step = 0; step < n; step++) {
            List<int[]> next = new ArrayList<>();
            for (int i = 0; i < sequences.size(); i++) {
                generated[i][step] = tokens[i];
                next.add(new int[]{generated[i][step]});
            }
            if (step + 1 < n) tokens = decoder.greedyLast(sequences, next);
        }
        return generated;
    }

    private static List<int[]> toList(int[][] out, int[] produced) {
        List<int[]> result = new ArrayList<>();
        for (int i = 0; i < out.length; i++) result.add(Arrays.copyOf(out[i], produced[i]));
        return result;
    }
}
