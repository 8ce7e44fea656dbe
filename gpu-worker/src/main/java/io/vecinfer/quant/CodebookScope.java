package io.vecinfer.quant;

import io.vecinfer.kvcache.KvLayout;

import java.util.Locale;

/**
 * Which sub-vectors share one codebook. VecInfer shares a codebook across the sub-space positions of
 * a head (its transform makes them alike); MILLION-style PQ keeps one per sub-space position, shared
 * across all layers and heads.
 */
public enum CodebookScope {
    GLOBAL, LAYER, HEAD, SUBSPACE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Number of codebooks for one side (K or V) of a model with {@code subspaces} sub-vectors per head vector. */
    public int count(KvLayout layout, int subspaces) {
        return switch (this) {
            case GLOBAL -> 1;
            case LAYER -> layout.layers();
            case HEAD -> layout.layers() * layout.kvHeads();
            case SUBSPACE -> subspaces;
        };
    }

    /** The codebook that encodes sub-vector {@code subspace} of KV head {@code head} in {@code layer}. */
    public int index(KvLayout layout, int layer, int head, int subspace) {
        return switch (this) {
            case GLOBAL -> 0;
            case LAYER -> layer;
            case HEAD -> layer * layout.kvHeads() + head;
            case SUBSPACE -> subspace;
        };
    }

    /** A human name for codebook {@code index}, for error messages. */
    public String describe(KvLayout layout, int index) {
        return switch (this) {
            case GLOBAL -> "the global codebook";
            case LAYER -> "the codebook of layer " + index;
            case HEAD -> "the codebook of layer " + index / layout.kvHeads() + " KV head " + index % layout.kvHeads();
            case SUBSPACE -> "the codebook of sub-space " + index;
        };
    }
}
