package io.vecinfer.cuda.decoder;

import io.vecinfer.decoder.Batching;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.quant.CacheFootprint;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;

/**
 * The rule by which an auto batch is sized on a GPU: how many sequences of a given length fit in the device
 * memory that is free, with the model's weights already there. A pure function of its inputs, so that it is
 * tested without a GPU; {@link CudaBackend#sequencesThatFit} feeds it {@code CudaDevice.freeMemory()}.
 *
 * <p>What one sequence holds ({@link #cacheBytes}): its KV cache at the batch's longest length (prompt plus
 * generated tokens), as the device caches allocate it, which is more than {@link CacheFootprint}'s exact bytes:
 * <ul>
 *   <li>fp16: the ring doubles its capacity (from 256 positions) before it would wrap, so it may hold up to twice
 *       the exact fp16 bytes of {@link CacheFootprint};</li>
 *   <li>VQ: one whole byte (up to 8 bits) or two per code, in arrays that double from 1024 positions, so up to twice
 *       the codes of every position, plus the fp16 ring of 2R + {@link Batching#CHUNK_ROWS} positions; the codebooks
 *       are the method's, shared by every sequence, and already on the device.</li>
 * </ul>
 * What the batch shares ({@link #scratchBytes}): the decoder's activations for one pass of its chunk rows
 * ({@link CudaDecoder#chunkRows(ModelConfig, long)} × {@link CudaDecoder#activationBytesPerRow}: hidden states, q/k/v,
 * the MLP, and the lm_head's logits rows with compareAll's copy of them; the tasks reduce logits on the device or
 * download them per chunk, so the device holds at most a pass's rows of them whatever the batch), charged whole even
 * when they are already allocated.
 *
 * <p>The safety margin, {@link #MARGIN_FRACTION} of the free memory and at least {@link #MARGIN_MIN_BYTES}, covers what
 * the estimate leaves out: the VQ kernels' per-chunk scratch, a ring's old and new buffers while it grows, the
 * allocator's rounding, and the driver's own growth. The answer is capped at the chunk rows: a decode step of more
 * sequences than a pass has rows takes more than one pass.
 *
 * @param perSequenceBytes device bytes one more sequence of the batch needs
 * @param scratchBytes     device bytes the batch needs once, whatever its size
 * @param maxSequences     the most sequences worth decoding together (the rows of one pass)
 */
public record DeviceBatchFit(long perSequenceBytes, long scratchBytes, int maxSequences) {
    public static final double MARGIN_FRACTION = 0.10;
    public static final long MARGIN_MIN_BYTES = 512L << 20;
    /** Device caches double their capacity when it runs out, so they hold up to this many times what they use. */
    static final int GROWTH = 2;
    private static final int DENSE_INITIAL_POSITIONS = 256, VQ_INITIAL_CODE_POSITIONS = 1024;

    public DeviceBatchFit {
        if (perSequenceBytes <= 0 || scratchBytes < 0 || maxSequences < 1) {
            throw new IllegalArgumentException("bad footprint: " + perSequenceBytes + " bytes per sequence, " + scratchBytes + " shared, at most "
                    + maxSequences);
        }
    }

    /** The footprint of sequences of {@code tokens} tokens of {@code method} on a model of {@code config}, passes of {@code chunkRows} rows. */
    public static DeviceBatchFit of(ModelConfig config, MethodSpec method, int tokens, int chunkRows) {
        return new DeviceBatchFit(cacheBytes(method, layout(config), tokens), scratchBytes(config, chunkRows), chunkRows);
    }

    /**
     * How many sequences to decode together: as many as fit in {@code freeBytes} less the scratch and the margin,
     * at most {@link #maxSequences}.
     *
     * @param cell the cell, as the error names it
     * @throws IllegalStateException when not even one fits: the cell, the bytes one sequence needs, the bytes free
     */
    public int sequences(long freeBytes, String cell) {
        long margin = Math.max(MARGIN_MIN_BYTES, (long) (freeBytes * MARGIN_FRACTION));
        long usable = freeBytes - scratchBytes - margin;
        long fit = usable <= 0 ? 0 : usable / perSequenceBytes;
        if (fit < 1) {
            throw new IllegalStateException(cell + ": not even one sequence fits on the GPU for an auto batch: one needs "
                    + perSequenceBytes + " bytes (KV cache) beside " + scratchBytes + " bytes of activations and a margin of "
                    + margin + " bytes, and " + freeBytes + " bytes are free");
        }
        return (int) Math.min(fit, maxSequences);
    }

    /** Device bytes of one sequence's cache of {@code tokens} tokens, as the device caches allocate it (see the class comment). */
    public static long cacheBytes(MethodSpec method, KvLayout layout, int tokens) {
        if (tokens <= 0) throw new IllegalArgumentException("a sequence of " + tokens + " tokens");
        long heads = (long) layout.layers() * layout.kvHeads();
        if (method instanceof VqSpec vq) {
            int d = layout.headDim();
            long positions = GROWTH * (long) Math.max(tokens, VQ_INITIAL_CODE_POSITIONS);
            long codeBytesPerPosition = (long) vq.keys().subspaces(d) * containerBytes(vq.keys().bits())
                    + (long) vq.values().subspaces(d) * containerBytes(vq.values().bits());
            long ring = (2L * vq.window() + Batching.CHUNK_ROWS) * heads * d * 2 * Short.BYTES;
            return heads * positions * codeBytesPerPosition + ring;
        }
        // fp16 (and, should the device ever hold them, other dense or KIVI caches): their exact bytes, doubled.
        double exact = CacheFootprint.of(method, layout, Math.max(tokens, DENSE_INITIAL_POSITIONS)).totalBytes();
        return GROWTH * (long) Math.ceil(exact);
    }

    /** The decoder's activations for one pass of {@code chunkRows} rows. */
    public static long scratchBytes(ModelConfig c, int chunkRows) {
        return chunkRows * CudaDecoder.activationBytesPerRow(c);
    }

    private static int containerBytes(int bits) {
        return bits <= 8 ? 1 : 2;
    }

    private static KvLayout layout(ModelConfig c) {
        return new KvLayout(c.numLayers(), c.numKvHeads(), c.numHeads(), c.headDim());
    }
}
