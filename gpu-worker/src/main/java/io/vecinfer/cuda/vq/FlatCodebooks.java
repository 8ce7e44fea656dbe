package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqShape;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;

/**
 * A {@link CodebookSet} flattened into the arrays the VQ kernels read (and the CPU references beside
 * them), the one definition of the device layout:
 * <ul>
 *   <li>{@code keyWords}: fp32 [key book][codeword][key dims], every key codebook of the model; {@code valueWords} likewise;</li>
 *   <li>{@code keyBookOf}: int [(layer × kvHeads + kvHead) × key sub-spaces + s], the key book of each sub-vector
 *       ({@link io.vecinfer.quant.CodebookScope#index}); {@code valueBookOf} likewise;</li>
 *   <li>{@code lambda}: fp32 [(layer × kvHeads + kvHead) × headDim + i], or null with smooth=off;</li>
 *   <li>{@code hadamard}: whether keys and queries go through the Walsh–Hadamard transform.</li>
 * </ul>
 * Codebooks stay fp32 (the CPU cache's values exactly); 16-bit storage of them is a footprint question.
 */
public record FlatCodebooks(KvLayout layout, VqShape keys, VqShape values, float[] keyWords, float[] valueWords,
                            int[] keyBookOf, int[] valueBookOf, float[] lambda, boolean hadamard) {

    public static FlatCodebooks of(CodebookSet books) {
        VqSpec spec = books.spec();
        KvLayout layout = books.layout();
        int d = layout.headDim(), heads = layout.layers() * layout.kvHeads();
        int keySub = spec.keys().subspaces(d), valueSub = spec.values().subspaces(d);
        int[] keyBookOf = new int[heads * keySub], valueBookOf = new int[heads * valueSub];
        float[] lambda = spec.smooth() ? new float[heads * d] : null;
        for (int layer = 0; layer < layout.layers(); layer++) {
            for (int head = 0; head < layout.kvHeads(); head++) {
                int slot = layer * layout.kvHeads() + head;
                for (int s = 0; s < keySub; s++) keyBookOf[slot * keySub + s] = spec.scope().index(layout, layer, head, s);
                for (int s = 0; s < valueSub; s++) valueBookOf[slot * valueSub + s] = spec.scope().index(layout, layer, head, s);
                if (lambda != null) System.arraycopy(books.lambda(layer, head), 0, lambda, slot * d, d);
            }
        }
        return new FlatCodebooks(layout, spec.keys(), spec.values(), concatenate(books.keyBooks()), concatenate(books.valueBooks()),
                keyBookOf, valueBookOf, lambda, spec.hadamard());
    }

    private static float[] concatenate(Codebook[] books) {
        int each = books[0].dims() * books[0].size();
        float[] all = new float[books.length * each];
        for (int b = 0; b < books.length; b++) System.arraycopy(books[b].words(), 0, all, b * each, each);
        return all;
    }

    public int keySubspaces() {
        return keys.subspaces(layout.headDim());
    }

    public int valueSubspaces() {
        return values.subspaces(layout.headDim());
    }

    /** Offset in {@code keyWords} of the codebook that encodes key sub-vector s of (layer, kvHead). */
    int keyBookOffset(int layer, int kvHead, int s) {
        return keyBookOf[(layer * layout.kvHeads() + kvHead) * keySubspaces() + s] * keys.codewords() * keys.dims();
    }

    int valueBookOffset(int layer, int kvHead, int s) {
        return valueBookOf[(layer * layout.kvHeads() + kvHead) * valueSubspaces() + s] * values.codewords() * values.dims();
    }

    /** Offset of (layer, kvHead)'s λ in {@code lambda}. */
    int lambdaOffset(int layer, int kvHead) {
        return (layer * layout.kvHeads() + kvHead) * layout.headDim();
    }
}
