package io.vecinfer.kvcache;

/** Makes an empty cache for each new sequence; one factory is one KV-cache method with its parameters. */
public interface KvCacheFactory {
    KvCache create(KvLayout layout);

    /** The method in its canonical string form, e.g. {@code fp16} or {@code vecinfer:k=d4b8,v=d4b8,r=128}. */
    String spec();
}
