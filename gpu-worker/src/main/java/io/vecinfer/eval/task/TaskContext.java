package io.vecinfer.eval.task;

import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * What a task runs with: the loaded model, its tokenizer and decoder, the datasets folder, the cell's
 * KV-cache method, the fp16 cache that paired metrics compare against, and the backend they run on.
 */
public record TaskContext(Model model, Tokenizer tokenizer, DecoderBackend decoder, Path datasets,
                          KvCacheFactory method, KvCacheFactory fp16Reference, ExecutionBackend backend) {
}
