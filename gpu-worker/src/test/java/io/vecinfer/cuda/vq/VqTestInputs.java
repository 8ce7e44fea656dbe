package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.Provenance;
import io.vecinfer.tensor.Half;

import java.util.Random;

/** Fresh random inputs for the VQ kernels and their references, shared by the CPU and GPU tests. */
final class VqTestInputs {
    private VqTestInputs() {
    }

    static VqSpec spec(String text) {
        return (VqSpec) MethodSpec.parse(text);
    }

    /** Random positive fp16 λ (smooth=on) and N(0,1) fp16 codewords for every book the scope asks for. */
    static CodebookSet randomBooks(VqSpec spec, KvLayout layout, Random random) {
        int heads = layout.layers() * layout.kvHeads(), d = layout.headDim();
        float[][] lambdas = null;
        if (spec.smooth()) {
            lambdas = new float[heads][d];
            for (float[] l : lambdas) for (int i = 0; i < d; i++) l[i] = Half.roundToFp16(0.5f + 3 * random.nextFloat());
        }
        return new CodebookSet(spec, layout, lambdas,
                randomSide(spec.keys().dims(), spec.keys().codewords(), spec.scope().count(layout, spec.keys().subspaces(d)), random),
                randomSide(spec.values().dims(), spec.values().codewords(), spec.scope().count(layout, spec.values().subspaces(d)), random),
                Provenance.unknown());
    }

    private static Codebook[] randomSide(int dims, int size, int count, Random random) {
        Codebook[] books = new Codebook[count];
        for (int b = 0; b < count; b++) books[b] = new Codebook(dims, size, TestData.fp16Gaussian(random, dims * size));
        return books;
    }

    /** N(0,1) values as fp16 bits, with channels 5 and 40 of every head vector scaled ×16 (key outliers). */
    static short[] fp16Keys(Random random, int tokens, KvLayout layout) {
        short[] x = new short[tokens * layout.tokenWidth()];
        for (int i = 0; i < x.length; i++) {
            int channel = i % layout.headDim();
            x[i] = Half.fromFloat((float) random.nextGaussian() * (channel == 5 || channel == 40 ? 16f : 1f));
        }
        return x;
    }

    static short[] fp16Values(Random random, int tokens, KvLayout layout) {
        short[] x = new short[tokens * layout.tokenWidth()];
        for (int i = 0; i < x.length; i++) x[i] = Half.fromFloat((float) random.nextGaussian());
        return x;
    }

    /** Uniform codes below 2^bits in uint16 containers. */
    static short[] randomCodes(Random random, long length, int bits) {
        short[] codes = new short[Math.toIntExact(length)];
        for (int i = 0; i < codes.length; i++) codes[i] = (short) random.nextInt(1 << bits);
        return codes;
    }

    static float[] floats(short[] fp16) {
        float[] x = new float[fp16.length];
        for (int i = 0; i < x.length; i++) x[i] = Half.toFloat(fp16[i]);
        return x;
    }
}
