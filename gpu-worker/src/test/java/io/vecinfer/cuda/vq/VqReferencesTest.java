package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SoftmaxAccumulator;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.VqKvCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU references of the VQ kernels against the CPU cache they must reproduce (VqKvCache, lookup-table
 * path), on fresh random data: codes, attention over compressed tokens merged with an fp16 window part,
 * the split merge and the launch plan.
 */
class VqReferencesTest {
    private static final KvLayout LAYOUT = new KvLayout(2, 2, 8, 64); // GQA group 4, as Llama-3.1-8B
    /**
     * The fp16 query table against the CPU cache's fp32 scores. Each table entry q̃_s·c is rounded to fp16 (relative
     * error at most 2^-11, about 2^-12.6 RMS); a score sums key-subspace entries of both signs, so its absolute error
     * is about scale·sqrt(subspaces)·rms(entry)·2^-12.6, a few 1e-4 of the score spread here (keys with ×16 outlier
     * channels, λ up to 3.5), and the normalised output moves by about that much relative to its norm. Measured over
     * repeated fresh draws: at most 1.1e-3 (d4b8), 1e-3 (d8b12); 3e-3 leaves room for the spread, while an indexing
     * or softmax error is O(1). (The decoder test bounds the end effect on logits: 1e-2 · max |logit|.)
     */
    static final double HALF_TABLE_TOLERANCE = 3e-3;
    /**
     * The LUT kernel against the CPU cache: the fp16 table as above, and each score's entries summed eight at a time in
     * fp16 (each add rounds to 2^-11 of a partial of about sqrt(8) entries, the same order as the table's own rounding),
     * so about √2 times the half-table error; measured below (printed per plan). The fp16 value path (LUT_HALF_VALUES)
     * adds fp16 weights and HFMA2 sums over two warp tiles (≤ 16 tokens a lane) before each fp32 flush, about 2^-11 ·
     * sqrt(16) of a partial. Measured over fresh draws (d4b8, head_dim 64): 1.8e-3 to 3.6e-3 (LUT), up to 4.0e-3 (fp16
     * values); partials of 4 instead of 8 lookups did not lower it (the table's own rounding and the draw dominate).
     * 8e-3 leaves room for the spread; an indexing or softmax error is O(1).
     */
    static final double LUT_TOLERANCE = 8e-3;
    private static final String[] SPECS = {
            "vecinfer:k=d4b8,v=d4b8,r=32", "vecinfer:k=d8b12,v=d8b12,r=32", "vecinfer:k=d8b8,v=d8b8,r=32",
            "rawvq:k=d4b8,v=d4b8,r=32", "vecinfer:k=d8b12,v=d8b8,r=32,smooth=off,scope=head"};

    /**
     * Every code of the encode reference is Codebook.nearest's of KeyTransform.key (values untransformed),
     * except at a genuine tie: Codebook.nearest may use the ‖c‖² − 2x·c form, which can order two
     * codewords differently when their distances agree to ~1e-6; such a flip must be a tie in double precision.
     */
    @ParameterizedTest
    @ValueSource(strings = {"vecinfer:k=d4b8,v=d4b8,r=32", "vecinfer:k=d8b12,v=d8b12,r=32", "vecinfer:k=d8b8,v=d2b8,r=32,smooth=off",
            "vecinfer:k=d4b8,v=d4b8,r=32,hadamard=off", "rawvq:k=d4b8,v=d8b8,r=32"})
    void encodeReferenceGivesTheCpuCacheCodes(String text) {
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        CodebookSet books = VqTestInputs.randomBooks(spec, LAYOUT, random);
        FlatCodebooks flat = FlatCodebooks.of(books);
        int ring = 64, from = 50, to = 114, capacity = 128, layer = 1, sequence = 1; // slots 50..63 then 0..49: the ring wraps
        short[] kRing = VqTestInputs.fp16Keys(random, ring, LAYOUT), vRing = VqTestInputs.fp16Values(random, ring, LAYOUT);
        VqCodeLayout keyLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), capacity, flat.keySubspaces());
        VqCodeLayout valueLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), capacity, flat.valueSubspaces());
        short[] keyCodes = new short[(int) keyLayout.length()], valueCodes = new short[(int) valueLayout.length()];
        short sentinel = (short) 0xBEEF;
        Arrays.fill(keyCodes, sentinel);
        Arrays.fill(valueCodes, sentinel);
        VqEncodeKernel.reference(flat, kRing, vRing, ring, sequence, layer, from, to, keyCodes, keyLayout, valueCodes, valueLayout);

        float[] k = VqTestInputs.floats(kRing), v = VqTestInputs.floats(vRing), kt = new float[LAYOUT.headDim()];
        int codes = 0, ties = 0;
        for (int pos = from; pos < to; pos++) {
            for (int head = 0; head < LAYOUT.kvHeads(); head++) {
                int base = ((pos % ring) * LAYOUT.kvHeads() + head) * LAYOUT.headDim();
                books.keyTransform(layer, head).key(k, base, kt);
                for (int s = 0; s < flat.keySubspaces(); s++, codes++) {
                    int n = spec.keys().dims(), expected = books.keyBook(layer, head, s).nearest(kt, s * n);
                    int actual = keyCodes[(int) keyLayout.index(sequence, layer, head, pos, s)] & 0xffff;
                    if (actual != expected) {
                        ties++;
                        assertTie(kt, s * n, books.keyBook(layer, head, s).words(), n, actual, expected);
                    }
                }
                for (int s = 0; s < flat.valueSubspaces(); s++, codes++) {
                    int n = spec.values().dims(), expected = books.valueBook(layer, head, s).nearest(v, base + s * n);
                    int actual = valueCodes[(int) valueLayout.index(sequence, layer, head, pos, s)] & 0xffff;
                    if (actual != expected) {
                        ties++;
                        assertTie(v, base + s * n, books.valueBook(layer, head, s).words(), n, actual, expected);
                    }
                }
            }
        }
        assertTrue(ties <= codes / 1000, ties + " of " + codes + " codes differ");
        int written = 0;
        for (short c : keyCodes) if (c != sentinel) written++;
        for (short c : valueCodes) if (c != sentinel) written++;
        assertEquals((to - from) * LAYOUT.kvHeads() * (flat.keySubspaces() + flat.valueSubspaces()), written, "codes written outside [from, to)");
    }

    private static void assertTie(float[] x, int offset, float[] words, int n, int a, int b) {
        double da = 0, db = 0, scale = 0;
        for (int i = 0; i < n; i++) {
            da += Math.pow(x[offset + i] - words[a * n + i], 2);
            db += Math.pow(x[offset + i] - words[b * n + i], 2);
            scale += Math.pow(x[offset + i], 2) + Math.pow(words[b * n + i], 2);
        }
        assertTrue(Math.abs(da - db) <= 1e-5 * scale, "codes " + a + " and " + b + " are not a tie: " + da + " vs " + db);
    }

    /**
     * Encode reference at each flush (from an fp16 ring of 2R that wraps), attention reference over the
     * compressed positions, a SoftmaxAccumulator over the fp16 window [c(p), p], merged by the merge
     * reference: VqKvCache's LOOKUP_TABLE output at every queried position p, including those with no
     * compressed token yet, several tiles of 256 tokens, and the split plan (1 split, and 3 of 64 tokens), within
     * 1e-5 with the fp32 table and {@link #HALF_TABLE_TOLERANCE} with the fp16 one.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "vecinfer:k=d4b8,v=d4b8,r=32", "vecinfer:k=d8b12,v=d8b12,r=32", "vecinfer:k=d8b8,v=d8b8,r=32",
            "rawvq:k=d4b8,v=d4b8,r=32", "vecinfer:k=d8b12,v=d8b8,r=32,smooth=off,scope=head",
            "vecinfer:k=d4b8,v=d2b8,r=32,scope=head", "vecinfer:k=d4b8,v=d1b8,r=32,hadamard=off"})
    void referencesReproduceTheCpuCache(String text) {
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        CodebookSet books = VqTestInputs.randomBooks(spec, LAYOUT, random);
        FlatCodebooks flat = FlatCodebooks.of(books);
        int tokens = 620, r = spec.window(), ring = 2 * r, layer = 1, sequence = 1, d = LAYOUT.headDim(), width = LAYOUT.tokenWidth();
        float scale = (float) (1 / Math.sqrt(d));
        short[] keys = VqTestInputs.fp16Keys(random, tokens, LAYOUT), values = VqTestInputs.fp16Values(random, tokens, LAYOUT);
        short[] otherLayer = VqTestInputs.fp16Keys(random, tokens, LAYOUT);
        float[] k = VqTestInputs.floats(keys), v = VqTestInputs.floats(values), other = VqTestInputs.floats(otherLayer);
        VqCodeLayout keyLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), tokens, flat.keySubspaces());
        VqCodeLayout valueLayout = new VqCodeLayout(2, LAYOUT.layers(), LAYOUT.kvHeads(), tokens, flat.valueSubspaces());
        short[] keyCodes = new short[(int) keyLayout.length()], valueCodes = new short[(int) valueLayout.length()];
        short[][] kRing = new short[LAYOUT.layers()][ring * width], vRing = new short[LAYOUT.layers()][ring * width];
        VqKvCache cache = new VqKvCache(books, LAYOUT, AttentionPath.LOOKUP_TABLE);

        List<Integer> queried = new ArrayList<>();
        List<float[]> queries = new ArrayList<>(), expected = new ArrayList<>();
        int encoded = 0, nearTies = 0;
        for (int p = 0; p < tokens; p++) {
            for (int l = 0; l < LAYOUT.layers(); l++) {
                short[] kl = l == layer ? keys : otherLayer;
                float[] kf = l == layer ? k : other;
                System.arraycopy(kl, p * width, kRing[l], (p % ring) * width, width);
                System.arraycopy(values, p * width, vRing[l], (p % ring) * width, width);
                cache.append(l, kf, p * width, v, p * width);
            }
            int compressed = (int) ResidualWindow.compressedTokens(p + 1, r);
            if (compressed > encoded) { // a flush: the block just left the window, as the GPU cache will encode it
                for (int l = 0; l < LAYOUT.layers(); l++) {
                    VqEncodeKernel.reference(flat, kRing[l], vRing[l], ring, sequence, l, encoded, compressed, keyCodes, keyLayout, valueCodes, valueLayout);
                    nearTies += useTheCpuCodesAtNearTies(books, l, l == layer ? k : other, v, encoded, compressed, sequence, keyCodes, keyLayout, valueCodes, valueLayout);
                }
                encoded = compressed;
            }
            if (p < 2 * r + 2 || p % 9 == 0 || p == tokens - 1) {
                float[] q = TestData.gaussian(random, LAYOUT.queryHeads() * d);
                float[] out = new float[q.length];
                cache.attend(layer, q, 0, scale, out, 0);
                queried.add(p);
                queries.add(q);
                expected.add(out);
            }
        }
        // The encode reference's search (squared distances) and the CPU cache's (norms and dot products) may part only on
        // codes whose two nearest codewords are as good as equal; the attention below compares with the CPU's codes.
        assertTrue(nearTies <= keyLayout.length() / 100, nearTies + " near-ties of " + keyLayout.length() + " codes");
        int rows = queried.size(), states = rows * LAYOUT.queryHeads();
        float[] q = new float[states * d];
        for (int i = 0; i < rows; i++) System.arraycopy(queries.get(i), 0, q, i * LAYOUT.queryHeads() * d, LAYOUT.queryHeads() * d);
        int[] rowSequence = new int[rows], rowPosition = queried.stream().mapToInt(Integer::intValue).toArray();
        Arrays.fill(rowSequence, sequence);

        // the fp16 window part of every row, in the (o, lse) form the window kernel produces
        float[] windowO = new float[states * d], windowLse = new float[states];
        SoftmaxAccumulator acc = new SoftmaxAccumulator(d);
        for (int i = 0; i < rows; i++) {
            int p = rowPosition[i], first = (int) ResidualWindow.compressedTokens(p + 1, r);
            for (int h = 0; h < LAYOUT.queryHeads(); h++) {
                acc.reset();
                int kvHead = h / LAYOUT.groupSize(), qAt = (i * LAYOUT.queryHeads() + h) * d;
                for (int t = first; t <= p; t++) {
                    float dot = 0f;
                    for (int j = 0; j < d; j++) dot += q[qAt + j] * k[t * width + kvHead * d + j];
                    acc.add(dot * scale, v, t * width + kvHead * d);
                }
                acc.finish(windowO, qAt);
                windowLse[i * LAYOUT.queryHeads() + h] = acc.logSumExp();
            }
        }
        VqAttentionKernel.Plan whole = new VqAttentionKernel.Plan(1, 256, true, 0, rows);
        VqAttentionKernel.Plan split = new VqAttentionKernel.Plan(3, 64, true, 0, rows); // the last split takes the rest
        VqAttentionKernel.Plan half = new VqAttentionKernel.Plan(3, 256, true, 0, rows, true);
        List<VqAttentionKernel.Plan> plans = new ArrayList<>(List.of(whole, split, half));
        if (VqAttentionPlanner.lutServes(flat)) { // the LUT kernel's arithmetic: 512- and 256-thread tiles, splits
            plans.add(new VqAttentionKernel.Plan(3, 512, true, 0, rows, true, VqAttentionKernel.Variant.LUT, 512));
            plans.add(new VqAttentionKernel.Plan(1, 256, true, 0, rows, true, VqAttentionKernel.Variant.LUT, 256));
            if (VqAttentionPlanner.lutHalfValuesServes(flat)) { // 512 threads too now; a chunk that is no tile multiple
                plans.add(new VqAttentionKernel.Plan(3, 256, true, 0, rows, true, VqAttentionKernel.Variant.LUT_HALF_VALUES, 256));
                plans.add(new VqAttentionKernel.Plan(2, 544, true, 0, rows, true, VqAttentionKernel.Variant.LUT_HALF_VALUES, 512));
            }
        }
        if (VqMmaAttention.serves(flat)) { // the MMA kernel's mathematics (fp16 q̃ · scale · log2 e, fp16 codewords)
            plans.add(new VqAttentionKernel.Plan(1, 256, true, 0, rows, true, VqMmaAttention.variant(flat), 512)); // MMA_WIDE for d8b12
        }
        for (VqAttentionKernel.Plan plan : plans) {
            float[] o = new float[states * d], lse = new float[states];
            VqAttentionKernel.reference(flat, layer, plan, q, rows, rowSequence, rowPosition, r, scale, keyCodes, keyLayout, valueCodes, valueLayout, o, lse);
            for (int i = 0; i < rows; i++) {
                boolean none = ResidualWindow.compressedTokens(rowPosition[i] + 1L, r) == 0;
                for (int h = 0; h < LAYOUT.queryHeads(); h++) {
                    assertEquals(none, lse[i * LAYOUT.queryHeads() + h] == Float.NEGATIVE_INFINITY, "row " + i + " head " + h);
                }
            }
            MergeStatesKernel.reference(o, lse, windowO, windowLse, states, d, o, lse); // in place, as the kernel allows
            double worst = 0;
            for (int i = 0; i < rows; i++) {
                float[] row = Arrays.copyOfRange(o, i * LAYOUT.queryHeads() * d, (i + 1) * LAYOUT.queryHeads() * d);
                worst = Math.max(worst, TestData.relativeError(row, expected.get(i)));
            }
            double tolerance = plan.variant() != VqAttentionKernel.Variant.GENERAL ? LUT_TOLERANCE : plan.halfTable() ? HALF_TABLE_TOLERANCE : 1e-5;
            System.out.printf("%s %s: relative difference %.2e%n", text, plan, worst);
            assertTrue(worst <= tolerance, plan + ": relative difference " + worst);
        }
    }

    @Test
    void mergeWeighsPartsByTheirLogSumExp() {
        int d = 3;
        float[] o1 = {1, 2, 3, 4, 5, 6, 7, 8, 9}, o2 = {-1, 0, 1, 9, 9, 9, 2, 2, 2};
        float ninf = Float.NEGATIVE_INFINITY;
        float[] lse1 = {0.5f, ninf, ninf}, lse2 = {-1.25f, 2f, ninf};
        float[] o = new float[9], lse = new float[3];
        MergeStatesKernel.reference(o1, lse1, o2, lse2, 3, d, o, lse);
        double w1 = Math.exp(0.5), w2 = Math.exp(-1.25);
        for (int i = 0; i < d; i++) assertEquals((w1 * o1[i] + w2 * o2[i]) / (w1 + w2), o[i], 1e-6);
        assertEquals(Math.log(w1 + w2), lse[0], 1e-6);
        assertArrayEquals(new float[]{9, 9, 9}, Arrays.copyOfRange(o, 3, 6)); // an empty part weighs nothing
        assertEquals(2f, lse[1]);
        assertArrayEquals(new float[]{0, 0, 0}, Arrays.copyOfRange(o, 6, 9)); // all empty: o = 0, lse = -inf
        assertEquals(ninf, lse[2]);
        // the split merge is the same arithmetic
        float[] parts = new float[18], partLse = new float[6], os = new float[9], ls = new float[3];
        System.arraycopy(o1, 0, parts, 0, 9);
        System.arraycopy(o2, 0, parts, 9, 9);
        System.arraycopy(lse1, 0, partLse, 0, 3);
        System.arraycopy(lse2, 0, partLse, 3, 3);
        MergeStatesKernel.referenceSplits(parts, partLse, 2, 3, d, os, ls);
        assertArrayEquals(o, os);
        assertArrayEquals(lse, ls);
    }

    /** Llama-3.1-8B decode shapes on an H200 (132 SMs, 227 KB of shared memory a block). */
    @Test
    void planKeepsSmallTablesInSharedMemoryAndSplitsLongContexts() {
        KvLayout llama = new KvLayout(1, 8, 32, 128);
        FlatCodebooks d4b8 = FlatCodebooks.of(VqTestInputs.randomBooks(VqTestInputs.spec("vecinfer:k=d4b8,v=d4b8,r=16"), llama, new Random(1)));
        FlatCodebooks d8b12 = FlatCodebooks.of(VqTestInputs.randomBooks(VqTestInputs.spec("vecinfer:k=d8b12,v=d8b12,r=16"), llama, new Random(2)));
        VqAttentionKernel.Plan longContext = VqAttentionKernel.plan(d4b8, 8, 131072, 132, 232448);
        assertTrue(longContext.tableInShared());
        // the 128 KB fp32 table of four heads, queries, the 4 KB value book, weights, warp and block states, two uint16 tiles
        assertEquals(4 * 32 * 256 * 4 + 4 * (4 * 128 + 1024 + 8 * 32 * 4 + 2 * 8 * 4 + 2 * 4) + 2 * (256 * 32 * 2 * 2), longContext.sharedBytes());
        assertTrue(longContext.splits() > 1, longContext.toString());
        assertTrue((long) longContext.splits() * longContext.chunkTokens() >= 131072 && longContext.chunkTokens() % 256 == 0);
        VqAttentionKernel.Plan half = VqAttentionKernel.plan(d4b8, 8, 131072, 132, 232448, true);
        assertTrue(half.tableInShared() && half.halfTable() && half.sharedBytes() == longContext.sharedBytes() - 2 * 32 * 256 * 4);
        assertEquals(1, VqAttentionKernel.plan(d4b8, 8, 1000, 132, 232448).splits()); // too short to split
        VqAttentionKernel.Plan big = VqAttentionKernel.plan(d8b12, 64, 4096, 132, 232448);
        assertFalse(big.tableInShared());
        assertEquals(32, big.rowsPerPass()); // 256 MB of scratch / (8 KV heads × 1 MB)
    }

    /** The flattened layout holds each (layer, KV head)'s λ and books where the kernels look for them. */
    @Test
    void flatCodebooksKeepEachHeadsLambdaAndBooks() {
        VqSpec spec = VqTestInputs.spec("rawvq:k=d4b8,v=d8b8,r=16,scope=subspace");
        CodebookSet books = VqTestInputs.randomBooks(VqTestInputs.spec("vecinfer:k=d4b8,v=d4b8,r=16,scope=head"), LAYOUT, new Random(3));
        FlatCodebooks flat = FlatCodebooks.of(books);
        for (int l = 0; l < LAYOUT.layers(); l++) {
            for (int h = 0; h < LAYOUT.kvHeads(); h++) {
                assertArrayEquals(books.lambda(l, h), Arrays.copyOfRange(flat.lambda(), flat.lambdaOffset(l, h), flat.lambdaOffset(l, h) + 64));
                assertArrayEquals(books.keyBook(l, h, 3).words(), Arrays.copyOfRange(flat.keyWords(), flat.keyBookOffset(l, h, 3), flat.keyBookOffset(l, h, 3) + 1024));
            }
        }
        FlatCodebooks raw = FlatCodebooks.of(VqTestInputs.randomBooks(spec, LAYOUT, new Random(4)));
        assertEquals(null, raw.lambda());
        assertEquals(7, raw.valueBookOf()[(1 * LAYOUT.kvHeads() + 1) * raw.valueSubspaces() + 7]); // one book per sub-space
    }

    /**
     * Where the encode reference's code for [from, to) of layer {@code l} differs from the CPU cache's search
     * (KeyTransform.key then Codebook.nearest, as VqKvCache encodes), the two codewords must be equally near (within
     * 1e-5 of the squared norms); the CPU's code is then written over the reference's. Returns how many differed.
     */
    private static int useTheCpuCodesAtNearTies(CodebookSet books, int l, float[] k, float[] v, int from, int to, int sequence,
                                                short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout) {
        int d = LAYOUT.headDim(), width = LAYOUT.tokenWidth(), kn = books.spec().keys().dims(), vn = books.spec().values().dims();
        float[] key = new float[d];
        int ties = 0;
        for (int pos = from; pos < to; pos++) {
            for (int head = 0; head < LAYOUT.kvHeads(); head++) {
                int base = pos * width + head * d;
                books.keyTransform(l, head).key(k, base, key);
                for (int s = 0; s < d / kn; s++) {
                    int at = (int) keyLayout.index(sequence, l, head, pos, s);
                    ties += resolve(books.keyBook(l, head, s), key, s * kn, keyCodes, at);
                }
                for (int s = 0; s < d / vn; s++) {
                    int at = (int) valueLayout.index(sequence, l, head, pos, s);
                    ties += resolve(books.valueBook(l, head, s), v, base + s * vn, valueCodes, at);
                }
            }
        }
        return ties;
    }

    private static int resolve(Codebook book, float[] x, int offset, short[] codes, int at) {
        int cpu = book.nearest(x, offset), ours = codes[at];
        if (cpu == ours) return 0;
        double a = 0, b = 0, norms = 0;
        for (int i = 0; i < book.dims(); i++) {
            double xi = x[offset + i], da = xi - book.word(cpu, i), db = xi - book.word(ours, i);
            a += da * da;
            b += db * db;
            norms += xi * xi + book.word(cpu, i) * (double) book.word(cpu, i);
        }
        assertTrue(Math.abs(a - b) <= 1e-5 * norms, "codes " + cpu + " (cpu) and " + ours + " (reference) at distances " + a + " and " + b);
        codes[at] = (short) cpu;
        return 1;
    }
}
