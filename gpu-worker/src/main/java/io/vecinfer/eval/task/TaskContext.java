package io.vecinfer.eval.task;

import io.vecinfer.decoder.Decoder;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * What a task runs with: the loaded model, its tokenizer and decoder, the datasets folder, the cell's
 * KV-cache method, and the fp16 cache that paired metrics compare against.
 */
public record TaskContext(Model model, Tokenizer tokenizer, Decoder decoder, Path datasets,
                          KvCacheFactory method, KvCacheFactory fp16Reference, String backend, String device) {

    public int bosId() {
        return tokenizer.tokenId("<|begin_of_text|>").orElse(model.config().bosTokenId());
    }
}
