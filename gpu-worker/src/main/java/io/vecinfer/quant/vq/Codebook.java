package io.vecinfer.quant.vq;

import io.vecinfer.tensor.FloatMath;
import io.vecinfer.tensor.Half;

/** 2^m codewords of n dims, row-major. Nearest is by squared L2; ties go to the lower index. */
public final class Codebook {
    private final int dims;
    private final int size;
    private final float[] words;
    /** Codewords dims-major and their squared norms: the SIMD search scans many codewords per instruction. */
    private final float[] transposed;
    private final float[] norms;

    public Codebook(int dims, int size, float[] words) {
        if (words.length != dims * size) throw new IllegalArgumentException(words.length + " floats for " + size + " codewords of " + dims + " dims");
        this.dims = dims;
        this.size = size;
        this.words = words.clone();
        transposed = new float[dims * size];
        norms = new float[size];
        for (int c = 0; c < size; c++) {
            for (int i = 0; i < dims; i++) {
                transposed[i * size + c] = words[c * dims + i];
                norms[c] += words[c * dims + i] * words[c * dims + i];
            }
        }
    }

    /** The same codewords rounded through fp16: what the kernel keeps in shared memory. */
    public Codebook roundedToFp16() {
        float[] w = words.clone();
        for (int i = 0; i < w.length; i++) w[i] = Half.roundToFp16(w[i]);
        return new Codebook(dims, size, w);
    }

    public int dims() {
        return dims;
    }

    public int size() {
        return size;
    }

    /** Element i of codeword c. */
    public float word(int c, int i) {
        return words[c * dims + i];
    }

    /** A copy of all codewords, row-major. */
    public float[] words() {
        return words.clone();
    }

    public int nearest(float[] x, int offset) {
        if (FloatMath.vectorized() && size >= 64) return VectorNearestCodeword.nearest(transposed, norms, size, dims, x, offset);
        int best = 0;
        float bestDistance = Float.POSITIVE_INFINITY;
        for (int c = 0, base = 0; c < size; c++, base += dims) {
            float dist = 0f;
            for (int i = 0; i < dims; i++) {
                float diff = x[offset + i] - words[base + i];
                dist += diff * diff;
            }
            if (dist < bestDistance) {
                bestDistance = dist;
                best = c;
            }
        }
        return best;
    }

    /** Writes codeword c to {@code out[offset..offset+dims)}. */
    public void decode(int c, float[] out, int offset) {
        System.arraycopy(words, c * dims, out, offset, dims);
    }

    /** q_s · codeword c for the sub-vector at {@code q[offset]}. */
    public float dot(int c, float[] q, int offset) {
        float s = 0f;
        for (int i = 0, base = c * dims; i < dims; i++) s += q[offset + i] * words[base + i];
        return s;
    }

    /** Adds w · codeword c to {@code acc[offset..offset+dims)}: a value decoded inside the weighted sum. */
    public void addScaled(int c, float w, float[] acc, int offset) {
        for (int i = 0, base = c * dims; i < dims; i++) acc[offset + i] += w * words[base + i];
    }
}
