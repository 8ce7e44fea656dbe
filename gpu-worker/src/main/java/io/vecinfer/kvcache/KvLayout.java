package io.vecinfer.kvcache;

/** The shape of one sequence's KV cache: every layer holds kvHeads heads of headDim per token. */
public record KvLayout(int layers, int kvHeads, int queryHeads, int headDim) {
    public KvLayout {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException("bad KV layout: layers " + layers + ", KV heads " + kvHeads
                    + ", query heads " + queryHeads + ", head_dim " + headDim);
        }
    }

    /** Query heads that share one KV head (GQA). */
    public int groupSize() {
        return queryHeads / kvHeads;
    }

    /** Floats of one token's keys (or values) in one layer. */
    public int tokenWidth() {
        return kvHeads * headDim;
    }
}
