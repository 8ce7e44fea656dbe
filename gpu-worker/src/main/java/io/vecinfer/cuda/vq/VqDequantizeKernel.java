package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.tensor.Half;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The non-fused VQ path's dequantization (vq_dequantize.cu), the ablation row beside the fused kernels, not the
 * decoder's path: the codes of positions [0, positions) of one layer, for each sequence, rebuilt as fp16 key and value
 * rows in that sequence's {@link Fp16KvRing} (slot = position), which the fp16 decode kernels then attend
 * (io.vecinfer.cuda.attention.BatchDecodeAttention). Rows hold the codewords side by side, in the space the codes were
 * taken in (the query takes the same transform, as in the fused kernels). {@link #reference} is its function.
 */
public final class VqDequantizeKernel implements AutoCloseable {
    static final int THREADS = 128, POSITIONS = 64; // as in vq_dequantize.cu

    private final CudaDevice device;
    private DeviceBuffer ringTable;

    public VqDequantizeKernel(CudaDevice device) {
        this.device = device;
    }

    /** Writes positions [0, positions) of {@code layer} of sequence s (codes' sequence s) into {@code rings.get(s)}, every s. */
    public void launch(DeviceCodebooks books, int layer, DeviceBuffer keyCodes, VqCodeLayout keyLayout, DeviceBuffer valueCodes,
                       VqCodeLayout valueLayout, List<Fp16KvRing> rings, int positions) {
        FlatCodebooks b = books.host();
        check(b, layer, keyLayout, valueLayout, rings.size(), positions);
        ByteBuffer table = ByteBuffer.allocateDirect(16 * rings.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < rings.size(); s++) {
            Fp16KvRing ring = rings.get(s);
            if (ring.capacity(layer) < positions || ring.layout().kvHeads() != b.layout().kvHeads() || ring.layout().headDim() != b.layout().headDim()) {
                throw new IllegalArgumentException("sequence " + s + ": a ring of " + ring.capacity(layer) + " slots of " + ring.layout() + " for "
                        + positions + " positions of " + b.layout());
            }
            table.putLong(8 * s, ring.keys(layer).address());
            table.putLong(8 * (rings.size() + s), ring.values(layer).address());
        }
        ringTable = device.grow(ringTable, table.capacity());
        ringTable.write(table);
        KernelParams p = params(books.keyWords, books.valueWords, books.keyBookOf, books.valueBookOf, keyCodes, valueCodes, ringTable.from(0),
                new DeviceBuffer.Slice(ringTable, 8L * rings.size()), b, layer, keyLayout, valueLayout, positions);
        device.module("vq_dequantize").kernel("vq_dequantize_fp16").launch((positions + POSITIONS - 1) / POSITIONS, b.layout().kvHeads(),
                rings.size(), THREADS, 0, p);
    }

    /** The mirror of VqDequantizeParams (vq_dequantize.cu), field by field: 120 bytes, as its static_assert says. */
    static KernelParams params(Object keyWords, Object valueWords, Object keyBookOf, Object valueBookOf, Object keyCodes, Object valueCodes,
                               Object keyRings, Object valueRings, FlatCodebooks b, int layer, VqCodeLayout keyLayout, VqCodeLayout valueLayout,
                               int positions) {
        return new KernelParams().pointer(keyWords).pointer(valueWords).pointer(keyBookOf).pointer(valueBookOf).pointer(keyCodes).pointer(valueCodes)
                .pointer(keyRings).pointer(valueRings).i32(layer).i32(keyLayout.layers()).i32(b.layout().kvHeads()).i32(b.layout().headDim())
                .i32(keyLayout.capacity()).i32(positions).i32(b.keySubspaces()).i32(b.valueSubspaces()).i32(b.keys().dims()).i32(b.values().dims())
                .i32(b.keys().codewords()).i32(b.values().codewords()).i32(keyLayout.codeBytes()).i32(valueLayout.codeBytes());
    }

    static void check(FlatCodebooks b, int layer, VqCodeLayout keyLayout, VqCodeLayout valueLayout, int sequences, int positions) {
        VqAttentionPlanner.checkCodes(b, layer, keyLayout, valueLayout);
        if (b.layout().headDim() % 8 != 0) throw new IllegalArgumentException("head_dim " + b.layout().headDim() + " is not a multiple of 8");
        if (Integer.bitCount(b.keys().codewords()) != 1 || Integer.bitCount(b.values().codewords()) != 1) {
            throw new IllegalArgumentException("codebooks of " + b.keys().codewords() + "/" + b.values().codewords() + " words: powers of two only");
        }
        if (sequences > keyLayout.sequences() || positions < 0 || positions > keyLayout.capacity()) {
            throw new IllegalArgumentException(sequences + " sequences, " + positions + " positions of codes laid out as " + keyLayout);
        }
    }

    @Override
    public void close() {
        if (ringTable != null) ringTable.close();
        ringTable = null;
    }

    /**
     * The kernel on the host for one sequence: rings as fp16 bits [capacity][kvHeads][headDim], positions [0, positions)
     * written, each entry the codeword's fp32 value rounded to fp16 (to nearest, ties to even).
     */
    public static void reference(FlatCodebooks b, int layer, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                                 int sequence, int positions, short[] keyRing, short[] valueRing) {
        check(b, layer, keyLayout, valueLayout, sequence + 1, positions);
        KvLayout l = b.layout();
        int d = l.headDim();
        for (int pos = 0; pos < positions; pos++) {
            for (int head = 0; head < l.kvHeads(); head++) {
                int row = (pos * l.kvHeads() + head) * d;
                for (int c = 0; c < d; c++) {
                    keyRing[row + c] = Half.fromFloat(entry(b.keyWords(), b.keyBookOffset(layer, head, c / b.keys().dims()), b.keys().dims(),
                            b.keys().codewords(), keyCodes[(int) keyLayout.index(sequence, layer, head, pos, c / b.keys().dims())], c % b.keys().dims()));
                    valueRing[row + c] = Half.fromFloat(entry(b.valueWords(), b.valueBookOffset(layer, head, c / b.values().dims()), b.values().dims(),
                            b.values().codewords(), valueCodes[(int) valueLayout.index(sequence, layer, head, pos, c / b.values().dims())], c % b.values().dims()));
                }
            }
        }
    }

    private static float entry(float[] words, int bookOffset, int dims, int codewords, short code, int i) {
        return words[bookOffset + ((code & 0xffff) & (codewords - 1)) * dims + i];
    }
}
