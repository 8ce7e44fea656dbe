package io.vecinfer.cuda.decoder;

/**
 * How far {@link CudaDecoder}'s default, tensor-core projections may move the logits from the fp32 CPU decoder's:
 * max |Δlogit| ≤ {@link #RELATIVE} · max |CPU logit| over a forward pass.
 *
 * <p>Each layer rounds the inputs of its 4 projections (q|k|v, o, gate|up, down) to bf16, relative error ≤ 2^-9 per
 * element; a projection sums many such errors with independent signs, so its output moves by about 2^-9 of its
 * size, and the residual stream carries the moves of 4·L roundings (L = 8 layers in the shipped model) plus the LM
 * head's. Independent moves add in quadrature: √33 · 2^-9 ≈ 1.1% of the logits' scale. We allow 3% (a factor ~2.7
 * for the correlations the quadrature ignores); a wrong row, segment or k mapping moves logits by tens of percent.
 * fp16 checkpoints round to fp16 (2^-11) and fp32 ones run the exact path, both well inside the same bound.
 * Observed on the H200 (CudaDecoderTest.tensorCoresStayWithinTheBf16Bound): 0.0046–0.0055.
 */
public final class TensorCoreTolerance {
    /** The bound on max |Δlogit| as a fraction of max |CPU logit|. */
    public static final double RELATIVE = 3e-2;

    private TensorCoreTolerance() {
    }
}
