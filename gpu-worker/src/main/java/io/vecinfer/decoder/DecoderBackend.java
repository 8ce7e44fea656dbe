package io.vecinfer.decoder;

import io.vecinfer.kvcache.SequenceCache;
import io.vecinfer.model.ModelConfig;

import java.util.List;

/**
 * A forward pass over a batch of sequences: the CPU {@link Decoder} (the oracle) or the CUDA decoder.
 * {@code C} is the caches it attends: {@link io.vecinfer.kvcache.KvCache}s on the heap for the CPU, device caches for
 * CUDA. The {@link ExecutionBackend} that makes a decoder makes its caches too, of the same type, so a sequence whose
 * cache another backend made does not compile into its calls.
 *
 * <p>Tasks that only read reductions of the logits (a target's log-probability, the argmax, KL between two passes)
 * call {@link #scoreAll}, {@link #compareAll} or {@link #greedyLast}: a backend whose logits live elsewhere (the
 * GPU) reduces them there and returns a few numbers per token. The defaults here are the contract's definition,
 * on the host from {@link #forwardAll} and {@link #forwardLast} with {@link LogitStatistics}; the CPU decoder uses
 * them as they are.
 */
public interface DecoderBackend<C extends SequenceCache> {
    ModelConfig config();

    /** Logits of the last new token of each sequence. */
    float[][] forwardLast(List<Sequence<C>> sequences, List<int[]> newTokens);

    /** Logits of every new token, sequence after sequence. */
    float[][] forwardAll(List<Sequence<C>> sequences, List<int[]> newTokens);

    /**
     * forwardAll, reduced per new token (sequence after sequence) to the log-probability of its target and its
     * argmax. {@code targets} holds, per sequence, one id per new token ({@link TokenScores#NO_TARGET} for none:
     * NaN); for language modelling, {@link TokenScores#nextTokens}.
     */
    default TokenScores scoreAll(List<Sequence<C>> sequences, List<int[]> newTokens, List<int[]> targets) {
        int[] flat = TokenScores.flatten(newTokens, targets, config().vocabSize());
        return TokenScores.of(forwardAll(sequences, newTokens), flat);
    }

    /**
     * forwardAll of the same new tokens through {@code tested} and through {@code reference} (sequence i of each fed
     * newTokens i), compared per new token: KL(reference ‖ tested) and both argmaxes. Both lists advance.
     */
    default LogitComparison compareAll(List<Sequence<C>> tested, List<Sequence<C>> reference, List<int[]> newTokens) {
        float[][] testedLogits = forwardAll(tested, newTokens);
        float[][] referenceLogits = forwardAll(reference, newTokens);
        return LogitComparison.of(referenceLogits, testedLogits);
    }

    /** forwardLast reduced to each sequence's greedy next token (the first index of its largest logit). */
    default int[] greedyLast(List<Sequence<C>> sequences, List<int[]> newTokens) {
        float[][] logits = forwardLast(sequences, newTokens);
        int[] tokens = new int[logits.length];
        for (int s = 0; s < logits.length; s++) tokens[s] = LogitStatistics.argmax(logits[s]);
        return tokens;
    }

    /** "cpu" or "cuda", as report rows name it. */
    String backend();

    /** The device, as report rows name it: "cpu:N-cores", "cuda:0 (NVIDIA H200)". */
    String device();
}
