package io.vecinfer.quant.vq;

/** Where a set of codebooks came from; written into the codebook file so results can be traced back. */
public record Provenance(String model, String calibrationSha256, long seed, int kmeansIterations) {
    public static Provenance unknown() {
        return new Provenance("", "", 0, 0);
    }
}
