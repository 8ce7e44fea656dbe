package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SequenceCache;

/**
 * A KV cache whose contents live on the GPU: {@link CudaDecoder} hands it a whole chunk of a layer at once
 * (appendAndAttend) where the CPU decoder appends and attends a heap {@link io.vecinfer.kvcache.KvCache} token by token.
 * It is no {@code KvCache}: the CUDA decoder is a {@code DecoderBackend<DeviceKvCache>}, and the CPU decoder, which
 * takes {@code KvCache}s, cannot be handed one. Close it to free device memory.
 */
public abstract class DeviceKvCache implements SequenceCache {
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

    /**
     * Makes room for {@code tokens} more tokens after what every layer holds, before the decoder issues the passes that
     * append them: a cache that grows by reallocating frees its old buffer, and a free synchronizes the device, so growing
     * between two passes' launches would stall the host until the GPU had drained the earlier pass (and leave the GPU idle
     * while the host then issues the next). Caches of fixed size do nothing (the default).
     */
    public void reserveFor(int tokens) {
    }

    /** The most new tokens one {@link #appendAndAttend} takes; the decoder chunks its passes to fit. Unbounded by default. */
    public int maxTokensPerPass() {
        return Integer.MAX_VALUE;
    }

    /** Frees the device memory. */
    @Override
    public abstract void close();
}
