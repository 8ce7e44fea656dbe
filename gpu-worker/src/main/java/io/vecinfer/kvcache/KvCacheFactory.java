package io.vecinfer.kvcache;

/** Makes an empty cache for each new sequence; one factory is one KV-cache method with its parameters. */
public interface KvCacheFactory {
    KvCache create(KvLayout layout);

    /**
     * An empty cache of this method under {@link Prefill#EXACT}: the prompt attends itself exactly in fp16 and is
     * encoded by this method when prefill ends. By default a host fp16 cache holds the prompt and replays it into
     * {@link #create}'s cache ({@link ExactPrefillKvCache}); a method whose caches live on a device, which a host
     * cache cannot feed, overrides this and keeps the prompt on its device with the same semantics.
     */
    default KvCache createExactPrefill(KvLayout layout) {
        return new ExactPrefillKvCache(layout, create(layout));
    }

    /** The method in its canonical string form, e.g. {@code fp16} or {@code vecinfer:k=d4b8,v=d4b8,r=128}. */
    String spec();
}
