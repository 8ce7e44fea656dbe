package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaKernel;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.vq.Hadamard;
import io.vecinfer.tensor.Half;

/**
 * Encodes positions [from, to) of one sequence's layer in one launch, every KV head (vq_encode.cu): a residual-window
 * flush, or under prefill=exact a whole prompt but its window. They are read from the layer's fp16 K and V ring buffers (capacity × kvHeads × headDim halves, slot = position %
 * capacity), into key codes of K̃ = K·diag(λ)⁻¹·H and value codes of V, by nearest codeword (squared
 * L2, lower index on ties). {@link #reference} is the kernel's arithmetic on the same layouts.
 */
public final class VqEncodeKernel {
    static final int THREADS = 256;

    private final CudaKernel kernel;

    public VqEncodeKernel(CudaDevice device) {
        kernel = device.module("vq_encode").kernel("vq_encode");
    }

    /**
     * @param kRing the sequence's layer ring of keys (a buffer or a {@link DeviceBuffer.Slice} of one), fp16
     * @param keyCodes codes laid out as {@code keyLayout} ({@link VqCodeLayout}); only [from, to) of (sequence, layer) are written
     */
    public void launch(DeviceCodebooks books, Object kRing, Object vRing, int ringCapacity, int sequence, int layer, int from, int to,
                       DeviceBuffer keyCodes, VqCodeLayout keyLayout, DeviceBuffer valueCodes, VqCodeLayout valueLayout) {
        FlatCodebooks b = books.host();
        check(b, ringCapacity, sequence, layer, from, to, keyLayout, valueLayout);
        KvLayout l = b.layout();
        kernel.launch(to - from, l.kvHeads(), 1, THREADS, 2 * l.headDim() * Float.BYTES,
                kRing, vRing, ringCapacity, l.kvHeads(), l.headDim(), from, sequence, layer, keyLayout.layers(), keyLayout.capacity(),
                books.keyWords, books.keyBookOf, b.keys().dims(), b.keys().bits(),
                books.valueWords, books.valueBookOf, b.values().dims(), b.values().bits(),
                books.lambda, b.hadamard() ? 1 : 0, keyCodes, valueCodes, keyLayout.codeBytes(), valueLayout.codeBytes());
    }

    /** The kernel on the host: rings as fp16 bits, codes as their values in shorts (whatever the device container). */
    public static void reference(FlatCodebooks books, short[] kRing, short[] vRing, int ringCapacity, int sequence, int layer, int from, int to,
                                 short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout) {
        check(books, ringCapacity, sequence, layer, from, to, keyLayout, valueLayout);
        KvLayout l = books.layout();
        int d = l.headDim(), kn = books.keys().dims(), vn = books.values().dims();
        float[] key = new float[d], value = new float[d];
        for (int pos = from; pos < to; pos++) {
            for (int head = 0; head < l.kvHeads(); head++) {
                int ringAt = ((pos % ringCapacity) * l.kvHeads() + head) * d;
                for (int i = 0; i < d; i++) {
                    float k = Half.toFloat(kRing[ringAt + i]);
                    key[i] = books.lambda() == null ? k : k / books.lambda()[books.lambdaOffset(layer, head) + i];
                    value[i] = Half.toFloat(vRing[ringAt + i]);
                }
                if (books.hadamard()) Hadamard.transform(key, 0, d);
                for (int s = 0; s < books.keySubspaces(); s++) {
                    keyCodes[(int) keyLayout.index(sequence, layer, head, pos, s)] = (short) nearest(key, s * kn,
                            books.keyWords(), books.keyBookOffset(layer, head, s), kn, books.keys().codewords());
                }
                for (int s = 0; s < books.valueSubspaces(); s++) {
                    valueCodes[(int) valueLayout.index(sequence, layer, head, pos, s)] = (short) nearest(value, s * vn,
                            books.valueWords(), books.valueBookOffset(layer, head, s), vn, books.values().codewords());
                }
            }
        }
    }

    /** Squared L2 summed in dimension order, strict {@code <} over increasing codewords: the lower index wins a tie. */
    static int nearest(float[] x, int offset, float[] words, int bookOffset, int dims, int count) {
        int best = 0;
        float bestDistance = Float.POSITIVE_INFINITY;
        for (int c = 0; c < count; c++) {
            float dist = 0f;
            for (int i = 0; i < dims; i++) {
                float diff = x[offset + i] - words[bookOffset + c * dims + i];
                dist += diff * diff;
            }
            if (dist < bestDistance) {
                bestDistance = dist;
                best = c;
            }
        }
        return best;
    }

    private static void check(FlatCodebooks books, int ringCapacity, int sequence, int layer, int from, int to,
                              VqCodeLayout keyLayout, VqCodeLayout valueLayout) {
        KvLayout l = books.layout();
        if (from < 0 || to < from || to > keyLayout.capacity() || to > valueLayout.capacity()) {
            throw new IllegalArgumentException("cannot encode positions [" + from + ", " + to + ") into code arrays of capacity " + keyLayout.capacity());
        }
        if ((keyLayout.codeBytes() == 1 && books.keys().bits() > 8) || (valueLayout.codeBytes() == 1 && books.values().bits() > 8)) {
            throw new IllegalArgumentException("codes of " + books.keys().bits() + "/" + books.values().bits() + " bits do not fit 8-bit containers");
        }
        if (to - from > ringCapacity) throw new IllegalArgumentException((to - from) + " tokens to encode from a ring of " + ringCapacity);
        if (keyLayout.subspaces() != books.keySubspaces() || valueLayout.subspaces() != books.valueSubspaces()
                || keyLayout.kvHeads() != l.kvHeads() || valueLayout.kvHeads() != l.kvHeads()) {
            throw new IllegalArgumentException("code layouts " + keyLayout + " / " + valueLayout + " do not fit codebooks of " + books.keys() + " / " + books.values());
        }
        if (sequence < 0 || sequence >= keyLayout.sequences() || layer < 0 || layer >= keyLayout.layers() || layer >= l.layers()
                || !keyLayout.equals(new VqCodeLayout(valueLayout.sequences(), valueLayout.layers(), valueLayout.kvHeads(), valueLayout.capacity(),
                        keyLayout.subspaces(), keyLayout.codeBytes()))) {
            throw new IllegalArgumentException("sequence " + sequence + " layer " + layer + " outside code layouts " + keyLayout + " / " + valueLayout);
        }
    }
}
