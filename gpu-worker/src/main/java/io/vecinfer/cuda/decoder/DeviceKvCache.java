package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvLayout;

/**
 * A KV cache whose contents live on the GPU: {@link CudaDecoder} hands it a whole chunk of a layer at once
 * (appendAndAttend) instead of the CPU path's token-by-token append and attend. Close it to free device memory.
 */
public abstract class DeviceKvCache implements KvCache, AutoCloseable {
    protected final KvLayout layout;

    protected DeviceKvCache(KvLayout layout) {
        this.layout = layout;
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    /**
     * Stores {@code tokens} new tokens of {@code layer}, at sequence positions start.., then writes every new
     * token's attention over the cache (itself and the tokens before it, as CPU caches do token by token).
     *
     * @param q     tokens × queryHeads × headDim fp32 queries, post-RoPE
     * @param k     tokens × kvHeads × headDim fp32 keys, post-RoPE
     * @param v     tokens × kvHeads × headDim fp32 values
     * @param start the position of the first new token: the number of tokens of {@code layer} already stored
     * @param out   tokens × queryHeads × headDim fp32 outputs
     */
    public abstract void appendAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int start,
                                         int tokens, float scale, DeviceBuffer.Slice out);

    /** The most new tokens one {@link #appendAndAttend} takes; the decoder chunks its passes to fit. Unbounded by default. */
    public int maxTokensPerPass() {
        return Integer.MAX_VALUE;
    }

    @Override
    public final void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps its keys and values on the GPU: it is"
                + " appended and attended by CudaDecoder, not by the CPU Decoder");
    }

    @Override
    public final void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps its keys and values on the GPU: it is"
                + " appended and attended by CudaDecoder, not by the CPU Decoder");
    }

    /** Frees the device memory. */
    @Override
    public abstract void close();
}
