package io.vecinfer.cuda.kivi;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.tensor.Half;

/**
 * KIVI's scalar quantization on the device (kivi_encode.cu): positions [from, to) of one layer (whole blocks of R),
 * read from fp16 K and V rings (capacity × kvHeads × headDim, slot = position % capacity), into the packed codes and
 * fp16 parameters of {@link KiviLayout}, as {@code KiviKvCache.encodeBlock} makes them. {@link #reference} is the
 * kernels' arithmetic on the same layouts.
 */
public final class KiviEncodeKernel {
    static final int THREADS = 128; // as in kivi_encode.cu

    private final CudaDevice device;

    public KiviEncodeKernel(CudaDevice device) {
        this.device = device;
    }

    /** The device arrays of one cache, laid out as {@code layout}. */
    public record Storage(KiviLayout layout, Object keyCodes, Object valueCodes, Object keyParams, Object valueParams) {
    }

    public void launch(Object keyRing, Object valueRing, int ringCapacity, int layer, int from, int to, Storage at) {
        KiviLayout l = at.layout();
        check(l, ringCapacity, layer, from, to);
        if (to == from) return;
        KernelParams p = params(keyRing, valueRing, at, ringCapacity, layer, from);
        device.module("kivi_encode").kernel("kivi_encode_keys").launch((to - from) / l.window() * l.keyGroupsPerBlock(), l.kvHeads(), 1, THREADS, 0, p);
        device.module("kivi_encode").kernel("kivi_encode_values").launch(to - from, l.kvHeads(), 1, THREADS, 0, p);
    }

    /** The mirror of KiviEncodeParams (kivi_encode.cu), field by field: 104 bytes, as its static_assert says. */
    static KernelParams params(Object keyRing, Object valueRing, Storage at, int ringCapacity, int layer, int from) {
        KiviLayout l = at.layout();
        return new KernelParams().pointer(keyRing).pointer(valueRing).pointer(at.keyCodes()).pointer(at.valueCodes())
                .pointer(at.keyParams()).pointer(at.valueParams())
                .i32(ringCapacity).i32(layer).i32(l.kvHeads()).i32(l.headDim()).i32(l.capacity()).i32(from).i32(l.window())
                .i32(l.keyGroup()).i32(l.valueGroup()).i32(l.keyBits()).i32(l.valueBits()).i32(l.keyWords()).i32(l.valueWords());
    }

    static void check(KiviLayout l, int ringCapacity, int layer, int from, int to) {
        if (from < 0 || to < from || to > l.capacity() || from % l.window() != 0 || to % l.window() != 0) {
            throw new IllegalArgumentException("KIVI encodes whole blocks of R = " + l.window() + " below capacity " + l.capacity()
                    + ", not positions [" + from + ", " + to + ")");
        }
        if (to - from > ringCapacity) throw new IllegalArgumentException((to - from) + " tokens to encode from a ring of " + ringCapacity);
        if (layer < 0 || layer >= l.layers()) throw new IllegalArgumentException("layer " + layer + " outside " + l);
    }

    /** The kernels on the host: rings as fp16 bits, codes as packed words, parameters as floats. */
    public static void reference(short[] keyRing, short[] valueRing, int ringCapacity, int layer, int from, int to, KiviLayout l,
                                 int[] keyCodes, int[] valueCodes, float[] keyParams, float[] valueParams) {
        check(l, ringCapacity, layer, from, to);
        int d = l.headDim(), width = l.kvHeads() * d;
        int keyLevels = (1 << l.keyBits()) - 1, valueLevels = (1 << l.valueBits()) - 1;
        int[][] keyRows = new int[to - from][d]; // one head's key codes, packed once a block's groups are done
        for (int head = 0; head < l.kvHeads(); head++) {
            for (int block = from; block < to; block += l.window()) {
                for (int first = block; first < block + l.window(); first += l.keyGroup()) {
                    int count = Math.min(l.keyGroup(), block + l.window() - first);
                    for (int i = 0; i < d; i++) {
                        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                        for (int t = first; t < first + count; t++) {
                            float x = Half.toFloat(keyRing[(t % ringCapacity) * width + head * d + i]);
                            min = Math.min(min, x);
                            max = Math.max(max, x);
                        }
                        float zero = Half.roundToFp16(min), scale = Half.roundToFp16((max - min) / keyLevels);
                        int at = (int) l.keyParamIndex(layer, head, first, i);
                        keyParams[at] = zero;
                        keyParams[at + 1] = scale;
                        for (int t = first; t < first + count; t++) {
                            float x = Half.toFloat(keyRing[(t % ringCapacity) * width + head * d + i]);
                            keyRows[t - from][i] = code(x, zero, scale, keyLevels);
                        }
                    }
                }
            }
            for (int t = from; t < to; t++) {
                int[] row = keyRows[t - from];
                KiviLayout.packRow(keyCodes, l.rowIndex(layer, head, t, l.keyWords()), l.keyWords(), l.keyBits(), d, c -> row[c]);
            }
            for (int t = from; t < to; t++) {
                int base = (t % ringCapacity) * width + head * d;
                int[] row = new int[d];
                for (int start = 0; start < d; start += l.valueGroup()) {
                    int count = Math.min(l.valueGroup(), d - start);
                    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                    for (int i = start; i < start + count; i++) {
                        float x = Half.toFloat(valueRing[base + i]);
                        min = Math.min(min, x);
                        max = Math.max(max, x);
                    }
                    float zero = Half.roundToFp16(min), scale = Half.roundToFp16((max - min) / valueLevels);
                    int at = (int) l.valueParamIndex(layer, head, t, start);
                    valueParams[at] = zero;
                    valueParams[at + 1] = scale;
                    for (int i = start; i < start + count; i++) {
                        row[i] = code(Half.toFloat(valueRing[base + i]), zero, scale, valueLevels);
                    }
                }
                KiviLayout.packRow(valueCodes, l.rowIndex(layer, head, t, l.valueWords()), l.valueWords(), l.valueBits(), d, c -> row[c]);
            }
        }
    }

    /** KIVI's code: round half up of (x − zero) / scale, clamped to [0, levels]; 0 where the scale is 0. */
    static int code(float x, float zero, float scale, int levels) {
        if (scale == 0f) return 0;
        int c = Math.round((x - zero) / scale);
        return Math.max(0, Math.min(levels, c));
    }

    /** zero + code · scale, as KiviKvCache decodes. */
    static float decode(int code, float zero, float scale) {
        return zero + code * scale;
    }
}
