package io.vecinfer.decoder;

import io.vecinfer.model.ModelConfig;

import java.util.List;

/**
 * A forward pass over a batch of sequences: the CPU {@link Decoder} (the oracle) or the CUDA decoder.
 * Each sequence's cache must be one the backend can attend (heap caches for the CPU, device caches for CUDA).
 */
public interface DecoderBackend {
    ModelConfig config();

    /** Logits of the last new token of each sequence. */
    float[][] forwardLast(List<Sequence> sequences, List<int[]> newTokens);

    /** Logits of every new token, sequence after sequence. */
    float[][] forwardAll(List<Sequence> sequences, List<int[]> newTokens);

    /** "cpu" or "cuda", as report rows name it. */
    String backend();

    /** The device, as report rows name it: "cpu:N-cores", "cuda:0 (NVIDIA H200)". */
    String device();
}
