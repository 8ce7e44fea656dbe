package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vq_encode against {@link VqEncodeKernel#reference} on fresh random rings and codebooks, and a whole prompt in one launch
 * against the CPU encoder (skips without a GPU).
 */
class VqEncodeKernelGpuTest {
    private static final KvLayout LAYOUT = new KvLayout(3, 2, 8, 128);

    /**
     * At least 99.9% of the codes identical (distances are computed with the same rounded operations in
     * the same order, so all of them should be; a near-tie may flip if the compiler ever reorders), and
     * nothing written outside positions [from, to) of (sequence, layer).
     */
    @ParameterizedTest
    @ValueSource(strings = {"vecinfer:k=d4b8,v=d4b8,r=64", "vecinfer:k=d8b12,v=d8b12,r=64", "vecinfer:k=d8b12,v=d8b8,r=64,smooth=off,scope=head",
            "vecinfer:k=d2b8,v=d4b8,r=64,hadamard=off", "rawvq:k=d4b8,v=d8b8,r=64"})
    void kernelCodesAreTheReferenceCodes(String text) {
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        FlatCodebooks flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, LAYOUT, random));
        int ring = 64, from = 100, to = 164, sequence = 1, layer = 2; // slots 36..63 then 0..35: the ring wraps
        short[] kRing = VqTestInputs.fp16Keys(random, ring, LAYOUT), vRing = VqTestInputs.fp16Values(random, ring, LAYOUT);
        VqCodeLayout keyLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), 200, flat.keySubspaces());
        VqCodeLayout valueLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), 200, flat.valueSubspaces());
        short sentinel = (short) 0xBEEF;
        short[] keyCodes = new short[(int) keyLayout.length()], valueCodes = new short[(int) valueLayout.length()];
        Arrays.fill(keyCodes, sentinel);
        Arrays.fill(valueCodes, sentinel);
        short[] gpuKeys, gpuValues;
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             DeviceBuffer k = device.allocate(2L * kRing.length); DeviceBuffer v = device.allocate(2L * vRing.length);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes())) {
            k.write(kRing);
            v.write(vRing);
            kc.write(keyCodes);
            vc.write(valueCodes);
            new VqEncodeKernel(device).launch(books, k, v, ring, sequence, layer, from, to, kc, keyLayout, vc, valueLayout);
            device.synchronize();
            gpuKeys = kc.readShorts(0, keyCodes.length);
            gpuValues = vc.readShorts(0, valueCodes.length);
        }
        VqEncodeKernel.reference(flat, kRing, vRing, ring, sequence, layer, from, to, keyCodes, keyLayout, valueCodes, valueLayout);
        int written = 0, same = 0;
        for (short[][] side : new short[][][]{{keyCodes, gpuKeys}, {valueCodes, gpuValues}}) {
            for (int i = 0; i < side[0].length; i++) {
                if (side[0][i] == sentinel) {
                    assertEquals(sentinel, side[1][i], "code " + i + " written outside [from, to)");
                } else {
                    written++;
                    if (side[0][i] == side[1][i]) same++;
                }
            }
        }
        assertEquals((to - from) * LAYOUT.kvHeads() * (flat.keySubspaces() + flat.valueSubspaces()), written);
        assertTrue(same >= 0.999 * written, (written - same) + " of " + written + " codes differ");
    }

    /**
     * A whole prompt of one layer in one launch, every token and every KV head (what prefill=exact does when the prompt
     * ends), from a ring that holds the prompt without wrapping, into the cache's own containers (uint8 up to 8 bits),
     * against the CPU encoder: {@code KeyTransform.key} then {@code Codebook.nearest}, what {@code VqKvCache} stores.
     *
     * <p>The two searches may rank two codewords differently where their distances agree to fp32 rounding (the CPU may
     * use the ‖c‖² − 2x·c form). So a differing code counts as a near-tie when the exact (double) squared distances of
     * the two codewords to the sub-vector differ by at most 1e-5 × (‖x‖² + ‖c‖²), well above fp32 rounding of the sum and
     * far below the gap between distinct codewords; any other difference is a mismatch, and there must be none. Near-ties
     * must stay rare (≤ 0.1% of codes), and positions past the prompt must stay unwritten.
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "vecinfer:k=d4b8,v=d4b8,r=64; 128; 3001",
            "vecinfer:k=d8b12,v=d8b8,r=64; 128; 1003",
            "vecinfer:k=d2b8,v=d4b8,r=64,scope=head; 64; 2500",
            "rawvq:k=d4b8,v=d8b8,r=64,scope=subspace; 64; 2048",
            "vecinfer:k=d8b8,v=d8b8,r=64,hadamard=off,smooth=off; 128; 777"})
    void aWholePromptEncodesInOneLaunchAsTheCpuEncoder(String text, int headDim, int tokens) {
        KvLayout layout = new KvLayout(2, 8, 56, headDim); // Llama-3.1-8B's 8 KV heads, GQA 7:1
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        CodebookSet books = VqTestInputs.randomBooks(spec, layout, random);
        FlatCodebooks flat = FlatCodebooks.of(books);
        int layer = 1, capacity = tokens + 37;
        short[] kRing = VqTestInputs.fp16Keys(random, tokens, layout), vRing = VqTestInputs.fp16Values(random, tokens, layout);
        VqCodeLayout keyLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, flat.keySubspaces(), spec.keys().bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, flat.valueSubspaces(), spec.values().bits());
        int[] gpuKeys, gpuValues;
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks deviceBooks = new DeviceCodebooks(device, flat);
             DeviceBuffer k = device.allocate(2L * kRing.length); DeviceBuffer v = device.allocate(2L * vRing.length);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes())) {
            k.write(kRing);
            v.write(vRing);
            kc.write(filled(keyLayout, SENTINEL));
            vc.write(filled(valueLayout, SENTINEL));
            new VqEncodeKernel(device).launch(deviceBooks, k, v, tokens, 0, layer, 0, tokens, kc, keyLayout, vc, valueLayout);
            device.synchronize();
            gpuKeys = codes(kc.readShorts(0, Math.toIntExact(keyLayout.bytes() / 2)), keyLayout);
            gpuValues = codes(vc.readShorts(0, Math.toIntExact(valueLayout.bytes() / 2)), valueLayout);
        }
        assertCpuEncoderCodes(books, kRing, vRing, layer, tokens, gpuKeys, keyLayout, gpuValues, valueLayout);
    }

    /** The checks of {@link #aWholePromptEncodesInOneLaunchAsTheCpuEncoder} on codes read back (prompt ring slot = position). */
    static void assertCpuEncoderCodes(CodebookSet books, short[] kRing, short[] vRing, int layer, int tokens, int[] gpuKeys, VqCodeLayout keyLayout,
                                      int[] gpuValues, VqCodeLayout valueLayout) {
        KvLayout layout = books.layout();
        FlatCodebooks flat = FlatCodebooks.of(books);
        VqSpec spec = books.spec();
        float[] keys = VqTestInputs.floats(kRing), values = VqTestInputs.floats(vRing), transformed = new float[layout.headDim()];
        int kn = spec.keys().dims(), vn = spec.values().dims();
        int codes = 0, nearTies = 0;
        List<String> mismatches = new ArrayList<>();
        for (int pos = 0; pos < tokens; pos++) {
            for (int head = 0; head < layout.kvHeads(); head++) {
                int base = (pos * layout.kvHeads() + head) * layout.headDim();
                books.keyTransform(layer, head).key(keys, base, transformed);
                for (int s = 0; s < flat.keySubspaces(); s++, codes++) {
                    var book = books.keyBook(layer, head, s);
                    int gpu = gpuKeys[(int) keyLayout.index(0, layer, head, pos, s)], cpu = book.nearest(transformed, s * kn);
                    if (gpu != cpu) {
                        if (nearTie(transformed, s * kn, book.words(), kn, gpu, cpu)) nearTies++;
                        else mismatches.add("key " + pos + "/" + head + "/" + s + ": " + gpu + " vs " + cpu);
                    }
                }
                for (int s = 0; s < flat.valueSubspaces(); s++, codes++) {
                    var book = books.valueBook(layer, head, s);
                    int gpu = gpuValues[(int) valueLayout.index(0, layer, head, pos, s)], cpu = book.nearest(values, base + s * vn);
                    if (gpu != cpu) {
                        if (nearTie(values, base + s * vn, book.words(), vn, gpu, cpu)) nearTies++;
                        else mismatches.add("value " + pos + "/" + head + "/" + s + ": " + gpu + " vs " + cpu);
                    }
                }
            }
        }
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + codes + " codes differ beyond a near-tie, e.g. "
                + mismatches.subList(0, Math.min(5, mismatches.size())));
        assertTrue(nearTies <= codes / 1000, nearTies + " of " + codes + " codes are near-ties");
        assertUnwrittenOutside(gpuKeys, keyLayout, layer, tokens);
        assertUnwrittenOutside(gpuValues, valueLayout, layer, tokens);
    }

    static final short SENTINEL = (short) 0xBEEF;

    /** Every container of the array set to the sentinel's low bits: 0xEF in uint8, 0xBEEF in uint16. */
    static java.nio.ByteBuffer filled(VqCodeLayout layout, short sentinel) {
        short[] all = new short[Math.toIntExact(layout.length())];
        Arrays.fill(all, sentinel);
        return layout.pack(all);
    }

    private static int sentinelOf(VqCodeLayout layout) {
        return layout.codeBytes() == 1 ? SENTINEL & 0xff : SENTINEL & 0xffff;
    }

    /** The device's codes as values, whatever the container (little-endian bytes or shorts). */
    static int[] codes(short[] raw, VqCodeLayout layout) {
        int[] out = new int[Math.toIntExact(layout.length())];
        for (int i = 0; i < out.length; i++) {
            out[i] = layout.codeBytes() == 1 ? (raw[i >> 1] >> ((i & 1) * 8)) & 0xff : raw[i] & 0xffff;
        }
        return out;
    }

    /** Nothing but positions [0, tokens) of {@code layer} was written (an unwritten one there shows as a mismatch). */
    private static void assertUnwrittenOutside(int[] codes, VqCodeLayout layout, int layer, int tokens) {
        int sentinel = sentinelOf(layout);
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                for (int p = l == layer ? tokens : 0; p < layout.capacity(); p++) {
                    for (int s = 0; s < layout.subspaces(); s++) {
                        assertEquals(sentinel, codes[(int) layout.index(0, l, h, p, s)], "code written at layer " + l + " head " + h + " position " + p);
                    }
                }
            }
        }
    }

    /** Whether codewords a and b of a book are equally near x within 1e-5 × (‖x‖² + ‖c_b‖²), in double precision. */
    private static boolean nearTie(float[] x, int offset, float[] words, int n, int a, int b) {
        double da = 0, db = 0, scale = 0;
        for (int i = 0; i < n; i++) {
            da += Math.pow(x[offset + i] - words[a * n + i], 2);
            db += Math.pow(x[offset + i] - words[b * n + i], 2);
            scale += Math.pow(x[offset + i], 2) + Math.pow(words[b * n + i], 2);
        }
        return Math.abs(da - db) <= 1e-5 * scale;
    }
}
