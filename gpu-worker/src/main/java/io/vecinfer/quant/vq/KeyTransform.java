package io.vecinfer.quant.vq;

/**
 * VecInfer's dual transform for one (layer, KV head): K̃ = K·diag(λ)⁻¹·H and q̃ = q·diag(λ)·H, so that
 * q̃·K̃ᵀ = q·Kᵀ. Either half can be off (ablations); with both off it is the identity (raw VQ).
 */
public final class KeyTransform {
    private final int dim;
    private final float[] lambda;
    private final boolean hadamard;

    /** @param lambda smoothing factors, or null for no smoothing */
    public KeyTransform(int dim, float[] lambda, boolean hadamard) {
        if (lambda != null && lambda.length != dim) throw new IllegalArgumentException(lambda.length + " smoothing factors for head_dim " + dim);
        if (hadamard && !Hadamard.isPowerOfTwo(dim)) throw new IllegalArgumentException("Hadamard transform needs a power-of-two head_dim, got " + dim);
        this.dim = dim;
        this.lambda = lambda == null ? null : lambda.clone();
        this.hadamard = hadamard;
    }

    public static KeyTransform identity(int dim) {
        return new KeyTransform(dim, null, false);
    }

    public boolean isIdentity() {
        return lambda == null && !hadamard;
    }

    /** out[0..dim) = K̃ for the key at {@code k[offset]}. */
    public void key(float[] k, int offset, float[] out) {
        for (int i = 0; i < dim; i++) out[i] = lambda == null ? k[offset + i] : k[offset + i] / lambda[i];
        if (hadamard) Hadamard.transform(out, 0, dim);
    }

    /** out[0..dim) = q̃ for the query at {@code q[offset]}. */
    public void query(float[] q, int offset, float[] out) {
        for (int i = 0; i < dim; i++) out[i] = lambda == null ? q[offset + i] : q[offset + i] * lambda[i];
        if (hadamard) Hadamard.transform(out, 0, dim);
    }

    /** Undoes {@link #key} in place: K = K̃·H·diag(λ), H being its own inverse. */
    public void keyInverse(float[] keyTilde) {
        if (hadamard) Hadamard.transform(keyTilde, 0, dim);
        if (lambda != null) for (int i = 0; i < dim; i++) keyTilde[i] *= lambda[i];
    }

    /** The smoothing factors, or null. */
    public float[] lambda() {
        return lambda == null ? null : lambda.clone();
    }
}
