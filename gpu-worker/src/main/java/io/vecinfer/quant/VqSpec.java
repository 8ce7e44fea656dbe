package io.vecinfer.quant;

import io.vecinfer.kvcache.KvLayout;

import java.util.List;

/**
 * A vector-quantized cache: VecInfer (smooth + Hadamard on keys, then VQ) or raw VQ (no transform;
 * MILLION-style product quantization with one codebook per sub-space position by default).
 *
 * @param window the residual window R: the newest R tokens stay in fp16
 */
public record VqSpec(Method method, VqShape keys, VqShape values, int window, boolean smooth, boolean hadamard,
                     CodebookScope scope) implements MethodSpec {

    public enum Method {
        VECINFER("vecinfer", List.of("k", "v", "r", "smooth", "hadamard", "scope"), CodebookScope.LAYER),
        // Raw VQ has no transform, so smooth and hadamard are not options of it: the ablations
        // "smooth only" and "Hadamard only" are vecinfer specs with the other switched off.
        RAWVQ("rawvq", List.of("k", "v", "r", "scope"), CodebookScope.SUBSPACE);

        final String label;
        final List<String> keys;
        final CodebookScope defaultScope;

        Method(String label, List<String> keys, CodebookScope defaultScope) {
            this.label = label;
            this.keys = keys;
            this.defaultScope = defaultScope;
        }

        public String label() {
            return label;
        }
    }

    public static final int DEFAULT_WINDOW = 128;

    public VqSpec {
        if (window < 1) throw new IllegalArgumentException("residual window " + window + " must be positive");
        if (method == Method.RAWVQ && (smooth || hadamard)) throw new IllegalArgumentException("rawvq has no transform");
    }

    static VqSpec parse(String whole, Method method, String text) {
        SpecOptions o = SpecOptions.parse(whole, text, method.keys);
        VqShape k = VqShape.parse(o, "k"), v = VqShape.parse(o, "v");
        int r = o.positiveInt("r", DEFAULT_WINDOW);
        boolean transforms = method == Method.VECINFER;
        return new VqSpec(method, k, v, r, o.onOff("smooth", transforms), o.onOff("hadamard", transforms),
                o.scope("scope", method.defaultScope));
    }

    /** The same method with another residual window (codebooks do not depend on it). */
    public VqSpec withWindow(int r) {
        return new VqSpec(method, keys, values, r, smooth, hadamard, scope);
    }

    /** n must divide head_dim, and the Hadamard transform needs a power-of-two head_dim. */
    @Override
    public void checkLayout(KvLayout layout) {
        int d = layout.headDim();
        String prefix = "bad KV-cache spec '" + spec() + "' for head_dim " + d + ": ";
        if (d % keys.dims() != 0) throw new IllegalArgumentException(prefix + "k=" + keys + ": n=" + keys.dims() + " does not divide head_dim " + d);
        if (d % values.dims() != 0) throw new IllegalArgumentException(prefix + "v=" + values + ": n=" + values.dims() + " does not divide head_dim " + d);
        if (hadamard && Integer.bitCount(d) != 1) {
            throw new IllegalArgumentException(prefix + "hadamard=on needs a power-of-two head_dim (use hadamard=off)");
        }
    }

    @Override
    public String spec() {
        StringBuilder s = new StringBuilder(method.label).append(":k=").append(keys).append(",v=").append(values)
                .append(",r=").append(window);
        boolean transforms = method == Method.VECINFER;
        if (transforms && !smooth) s.append(",smooth=off");
        if (transforms && !hadamard) s.append(",hadamard=off");
        if (scope != method.defaultScope) s.append(",scope=").append(scope.label());
        return s.toString();
    }

    @Override
    public String toString() {
        return spec();
    }
}
