package io.vecinfer.quant.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqSpec;

/**
 * Everything a vector-quantized cache needs from calibration for one model: the key transform of each
 * (layer, KV head) and the key and value codebooks, indexed through the spec's {@link io.vecinfer.quant.CodebookScope}.
 */
public final class CodebookSet {
    private final VqSpec spec;
    private final KvLayout layout;
    private final float[][] lambdas;
    private final KeyTransform[] transforms;
    private final Codebook[] keyBooks;
    private final Codebook[] valueBooks;
    private final Provenance provenance;

    /**
     * @param lambdas smoothing factors per (layer × kvHeads + head), each headDim long; null when the spec has smooth=off
     */
    public CodebookSet(VqSpec spec, KvLayout layout, float[][] lambdas, Codebook[] keyBooks, Codebook[] valueBooks,
                       Provenance provenance) {
        spec.checkLayout(layout);
        int heads = layout.layers() * layout.kvHeads(), d = layout.headDim();
        if (spec.smooth() != (lambdas != null)) throw new IllegalArgumentException("smooth=" + (spec.smooth() ? "on" : "off") + " but smoothing factors " + (lambdas == null ? "missing" : "given"));
        if (lambdas != null && lambdas.length != heads) throw new IllegalArgumentException(lambdas.length + " smoothing-factor vectors for " + heads + " KV heads");
        checkBooks("key", keyBooks, spec.scope().count(layout, spec.keys().subspaces(d)), spec.keys().dims(), spec.keys().codewords());
        checkBooks("value", valueBooks, spec.scope().count(layout, spec.values().subspaces(d)), spec.values().dims(), spec.values().codewords());
        this.spec = spec;
        this.layout = layout;
        this.lambdas = lambdas;
        this.keyBooks = keyBooks.clone();
        this.valueBooks = valueBooks.clone();
        this.provenance = provenance;
        transforms = new KeyTransform[heads];
        for (int i = 0; i < heads; i++) transforms[i] = new KeyTransform(d, lambdas == null ? null : lambdas[i], spec.hadamard());
    }

    private static void checkBooks(String side, Codebook[] books, int count, int dims, int size) {
        if (books.length != count) throw new IllegalArgumentException(books.length + " " + side + " codebooks, the scope needs " + count);
        for (Codebook b : books) {
            if (b.dims() != dims || b.size() != size) {
                throw new IllegalArgumentException(side + " codebook of " + b.size() + " × " + b.dims() + ", the spec needs " + size + " × " + dims);
            }
        }
    }

    /** The same codebooks under a spec that differs only in the residual window. */
    public CodebookSet withSpec(VqSpec other) {
        if (!other.equals(new VqSpec(spec.method(), spec.keys(), spec.values(), other.window(), spec.smooth(), spec.hadamard(), spec.scope()))) {
            throw new IllegalArgumentException("codebooks fitted for '" + spec.spec() + "' cannot serve '" + other.spec() + "'");
        }
        return new CodebookSet(other, layout, lambdas, keyBooks, valueBooks, provenance);
    }

    public VqSpec spec() {
        return spec;
    }

    public KvLayout layout() {
        return layout;
    }

    public Provenance provenance() {
        return provenance;
    }

    public KeyTransform keyTransform(int layer, int head) {
        return transforms[layer * layout.kvHeads() + head];
    }

    /** λ of (layer, head), or null with smooth=off. */
    public float[] lambda(int layer, int head) {
        return lambdas == null ? null : lambdas[layer * layout.kvHeads() + head].clone();
    }

    public Codebook keyBook(int layer, int head, int subspace) {
        return keyBooks[spec.scope().index(layout, layer, head, subspace)];
    }

    public Codebook valueBook(int layer, int head, int subspace) {
        return valueBooks[spec.scope().index(layout, layer, head, subspace)];
    }

    public Codebook[] keyBooks() {
        return keyBooks.clone();
    }

    public Codebook[] valueBooks() {
        return valueBooks.clone();
    }
}
