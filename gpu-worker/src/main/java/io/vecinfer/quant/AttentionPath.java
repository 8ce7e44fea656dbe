package io.vecinfer.quant;

/** How a vector-quantized cache computes attention over its compressed tokens; both give the same result. */
public enum AttentionPath {
    /** The fused-kernel way: per query a table of q̃_s · codeword, scores as sums of table entries; keys are never decoded. */
    LOOKUP_TABLE,
    /** Plain reference: decode every key and value back to the model's space, then attend as a dense cache does. */
    DEQUANTIZE
}
