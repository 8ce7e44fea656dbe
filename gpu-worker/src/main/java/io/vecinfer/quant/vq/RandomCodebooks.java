package io.vecinfer.quant.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.tensor.Half;

import java.util.Random;

/**
 * Codebook sets of the right shape with random contents: for tests that compare two ways of computing the same thing,
 * and for timing (LongContextE2EBenchmark), where a step's cost does not depend on the codewords. No calibration needed.
 */
public final class RandomCodebooks {
    private RandomCodebooks() {
    }

    /** Random positive fp16 λ (with smooth=on) and N(0,1) fp16 codewords for every book the spec's scope asks for. */
    public static CodebookSet of(VqSpec spec, KvLayout layout, Random random) {
        int heads = layout.layers() * layout.kvHeads(), d = layout.headDim();
        float[][] lambdas = null;
        if (spec.smooth()) {
            lambdas = new float[heads][d];
            for (float[] l : lambdas) for (int i = 0; i < d; i++) l[i] = Half.roundToFp16(0.5f + 3 * random.nextFloat());
        }
        return new CodebookSet(spec, layout, lambdas,
                side(spec.keys().dims(), spec.keys().codewords(), spec.scope().count(layout, spec.keys().subspaces(d)), random),
                side(spec.values().dims(), spec.values().codewords(), spec.scope().count(layout, spec.values().subspaces(d)), random),
                Provenance.unknown());
    }

    private static Codebook[] side(int dims, int size, int count, Random random) {
        Codebook[] books = new Codebook[count];
        for (int b = 0; b < count; b++) {
            float[] words = new float[dims * size];
            for (int i = 0; i < words.length; i++) words[i] = (float) random.nextGaussian();
            books[b] = new Codebook(dims, size, words).roundedToFp16();
        }
        return books;
    }
}
