package io.vecinfer.kvcache;

/**
 * Makes an empty cache of type {@code C} for each new sequence; one factory is one KV-cache method with its parameters,
 * on one backend. The type is what ties a factory to the decoder that can attend its caches: heap caches
 * ({@link KvCacheFactory}) for the CPU decoder, device caches for the CUDA decoder.
 */
public interface CacheFactory<C extends SequenceCache> {
    C create(KvLayout layout);

    /**
     * An empty cache of this method under {@link Prefill#EXACT}: the prompt attends itself exactly in fp16 and is
     * encoded by this method when prefill ends.
     */
    C createExactPrefill(KvLayout layout);

    /** The method in its canonical string form, e.g. {@code fp16} or {@code vecinfer:k=d4b8,v=d4b8,r=128}. */
    String spec();
}
