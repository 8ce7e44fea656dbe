package io.vecinfer.decoder;

import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.vq.CodebookSet;

/**
 * Where sequences run (a cell runner's cells): the decoder it builds for a model, the KV caches it makes for a method,
 * and how it meters memory. Decoder and caches are of one cache type {@code C}, so what one backend makes runs only on
 * that backend's decoder. The CPU backend is the oracle; the CUDA backend is io.vecinfer.cuda.decoder.CudaBackend.
 */
public interface ExecutionBackend<C extends SequenceCache> extends AutoCloseable {
    /** "cpu" or "cuda", as report rows name it. */
    String name();

    /** The device, as report rows name it. */
    String device();

    /** A decoder for the model, made once per model by the runner. */
    DecoderBackend<C> decoder(Model model);

    /** Whether this backend has kernels for the method under that prefill; a runner sends other cells to its CPU backend. */
    boolean supports(MethodSpec method, Prefill prefill);

    /** The caches of a method on a model; {@code codebooks} is null for methods without codebooks. */
    CacheFactory<C> caches(MethodSpec method, Model model, CodebookSet codebooks);

    /**
     * How many sequences of {@code tokens} tokens each (a batch's longest prompt plus the tokens it generates)
     * this backend decodes together for a cell whose batch is auto: as many as its memory holds,
     * measured now, with the model loaded. One by default: a backend that does not meter its memory ahead decodes
     * an auto batch sequence by sequence.
     *
     * @param cell the cell as errors name it
     * @throws IllegalStateException when not even one sequence fits, naming the cell, the bytes one needs and the bytes free
     */
    default int sequencesThatFit(Model model, MethodSpec method, int tokens, String cell) {
        return 1;
    }

    /** Starts a new peak for {@link #peakMemoryBytes()}, before each batch. */
    void resetPeakMemory();

    /** Peak memory since the last reset: device allocations on a GPU, the JVM heap on the CPU. */
    long peakMemoryBytes();

    @Override
    void close();
}
