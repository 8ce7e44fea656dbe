package io.vecinfer.kvcache;

/** A {@link CacheFactory} of heap caches, which the CPU decoder attends. */
public interface KvCacheFactory extends CacheFactory<KvCache> {

    /**
     * By default a host fp16 cache holds the prompt and replays it into {@link #create}'s cache
     * ({@link ExactPrefillKvCache}); a device method keeps the prompt on its device instead, with the same semantics.
     */
    @Override
    default KvCache createExactPrefill(KvLayout layout) {
        return new ExactPrefillKvCache(layout, create(layout));
    }
}
