package io.vecinfer.eval.task;

import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.SequenceCache;
import io.vecinfer.model.Model;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * What a task runs with: the loaded model, its tokenizer and decoder, the datasets folder, the cell's
 * KV-cache method, the fp16 cache that paired metrics compare against, and the backend they run on. Decoder and
 * caches are the backend's, of its cache type {@code C}: a task's sequences come from {@link #newSequence} and
 * {@link #newReferenceSequence}, so they run on the decoder that can attend them.
 */
public record TaskContext<C extends SequenceCache>(Model model, Tokenizer tokenizer, DecoderBackend<C> decoder, Path datasets,
                                                   CacheFactory<C> method, CacheFactory<C> fp16Reference, ExecutionBackend<C> backend) {

    /** A new sequence with an empty cache of the cell's method. */
    public Sequence<C> newSequence() {
        return new Sequence<>(method.create(model.kvLayout()));
    }

    /** A new sequence with an empty fp16 cache, the reference of paired metrics. */
    public Sequence<C> newReferenceSequence() {
        return new Sequence<>(fp16Reference.create(model.kvLayout()));
    }
}
