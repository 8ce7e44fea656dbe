package io.vecinfer.eval.task;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;

import java.nio.file.Path;

/** Turns a cell's method spec (and codebook file) into the cache factory for a model. */
public final class KvMethods {
    private KvMethods() {
    }

    public static KvCacheFactory factory(String spec, Model model, Path codebook) {
        return switch (spec) {
            case "fp32" -> DenseKvCache.factory(DenseKvCache.Precision.FP32);
            case "fp16" -> DenseKvCache.factory(DenseKvCache.Precision.FP16);
            default -> throw new IllegalArgumentException("unknown KV-cache method '" + spec + "'");
        };
    }
}
