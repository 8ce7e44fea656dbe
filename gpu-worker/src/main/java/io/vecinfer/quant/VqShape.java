package io.vecinfer.quant;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code d{n}b{m}}: a head vector is cut into sub-vectors of {@code n} dims, each stored as the
 * {@code m}-bit index of its nearest codeword among 2^m.
 */
public record VqShape(int dims, int bits) {
    private static final Pattern FORM = Pattern.compile("d(\\d{1,4})b(\\d{1,3})");

    public VqShape {
        if (dims < 1 || dims > 128) throw new IllegalArgumentException("sub-vector dims " + dims + " not in 1..128");
        if (bits < 1 || bits > 16) throw new IllegalArgumentException("code bits " + bits + " not in 1..16");
    }

    static VqShape parse(SpecOptions options, String key) {
        String text = options.required(key);
        Matcher m = FORM.matcher(text);
        if (!m.matches()) throw options.error(key, text, "expected d{n}b{m}, e.g. d4b8");
        int n = Integer.parseInt(m.group(1)), b = Integer.parseInt(m.group(2));
        if (n < 1 || n > 128) throw options.error(key, text, "sub-vector dims n=" + n + " not in 1..128");
        if (b < 1 || b > 16) throw options.error(key, text, "code bits m=" + b + " not in 1..16");
        return new VqShape(n, b);
    }

    public int codewords() {
        return 1 << bits;
    }

    /** Sub-vectors per head vector of {@code headDim}. */
    public int subspaces(int headDim) {
        return headDim / dims;
    }

    /** Packed code bits of one head vector. */
    public long bitsPerVector(int headDim) {
        return (long) subspaces(headDim) * bits;
    }

    @Override
    public String toString() {
        return "d" + dims + "b" + bits;
    }
}
