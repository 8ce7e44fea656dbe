package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.tensor.Half;

import java.util.Random;

/** Fresh random inputs for the VQ kernels and their references, shared by the CPU and GPU tests. */
final class VqTestInputs {
    /** The H200's SM count and its opt-in shared memory a block (bytes), for the planners' plan tests. */
    static final int H200_SMS = 132, H200_SHARED = 232448;

    private VqTestInputs() {
    }

    static VqSpec spec(String text) {
        return (VqSpec) MethodSpec.parse(text);
    }

    /** Random positive fp16 λ (smooth=on) and N(0,1) fp16 codewords for every book the scope asks for. */
    static CodebookSet randomBooks(VqSpec spec, KvLayout layout, Random random) {
        return io.vecinfer.quant.vq.RandomCodebooks.of(spec, layout, random);
    }

    /** {@link #randomBooks} flattened, seeded by the spec's text: the same books on every run (the plan tests need no fresh ones). */
    static FlatCodebooks seededBooks(String spec, KvLayout layout) {
        return FlatCodebooks.of(randomBooks(spec(spec), layout, new Random(spec.hashCode())));
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
