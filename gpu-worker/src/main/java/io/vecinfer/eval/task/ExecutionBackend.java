package io.vecinfer.eval.task;

import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.vq.CodebookSet;

/**
 * Where a {@link ModelCellRunner} runs cells: the decoder it builds for a model, the KV caches it makes
 * for a method, and how it meters memory. The CPU backend is the oracle; the CUDA backend lives in
 * io.vecinfer.cuda.eval.
 */
public interface ExecutionBackend extends AutoCloseable {
    /** "cpu" or "cuda", as report rows name it. */
    String name();

    /** The device, as report rows name it. */
    String device();

    /** A decoder for the model, made once per model by the runner. */
    DecoderBackend decoder(Model model);

    /** Whether this backend has kernels for the method under that prefill; a runner sends other cells to its CPU backend. */
    boolean supports(MethodSpec method, Prefill prefill);

    /** The caches of a method on a model; {@code codebooks} is null for methods without codebooks. */
    KvCacheFactory caches(MethodSpec method, Model model, CodebookSet codebooks);

    /** Starts a new peak for {@link #peakMemoryBytes()}, before each batch. */
    void resetPeakMemory();

    /** Peak memory since the last reset: device allocations on a GPU, the JVM heap on the CPU. */
    long peakMemoryBytes();

    @Override
    void close();
}
