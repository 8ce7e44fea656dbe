package io.vecinfer.quant.vq;

import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SoftmaxAccumulator;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.VqShape;
import io.vecinfer.quant.WindowedKvCache;
import io.vecinfer.quant.bits.PackedCodes;

import java.util.function.IntFunction;

/**
 * A vector-quantized cache: VecInfer when the codebook set carries a transform, raw VQ when it does
 * not. Keys are stored as codes of K̃ (transformed), values as codes of V; the newest tokens stay in
 * the fp16 window.
 */
public final class VqKvCache extends WindowedKvCache {

    public static KvCacheFactory factory(CodebookSet books, AttentionPath path) {
        return new KvCacheFactory() {
            @Override
            public KvCache create(KvLayout layout) {
                return new VqKvCache(books, layout, path);
            }

            @Override
            public String spec() {
                return books.spec().spec();
            }
        };
    }

    private final CodebookSet books;
    private final AttentionPath path;
    private final VqShape keyShape;
    private final VqShape valueShape;
    private final int keySubspaces;
    private final int valueSubspaces;
    private final PackedCodes[] keyCodes;
    private final PackedCodes[] valueCodes;
    private final float[] headScratch;
    private final float[] valueScratch;
    private final float[] table;

    public VqKvCache(CodebookSet books, KvLayout layout, AttentionPath path) {
        super(layout, books.spec().window());
        if (!sameKvShape(layout, books.layout())) {
            throw new IllegalArgumentException("codebooks for " + books.layout() + " cannot serve a cache of " + layout);
        }
        this.books = books;
        this.path = path;
        keyShape = books.spec().keys();
        valueShape = books.spec().values();
        keySubspaces = keyShape.subspaces(layout.headDim());
        valueSubspaces = valueShape.subspaces(layout.headDim());
        int heads = layout.layers() * layout.kvHeads();
        keyCodes = new PackedCodes[heads];
        valueCodes = new PackedCodes[heads];
        for (int i = 0; i < heads; i++) {
            keyCodes[i] = new PackedCodes(keyShape.bits());
            valueCodes[i] = new PackedCodes(valueShape.bits());
        }
        headScratch = new float[layout.headDim()];
        valueScratch = new float[layout.headDim()];
        table = path == AttentionPath.LOOKUP_TABLE ? new float[keySubspaces * keyShape.codewords()] : null;
    }

    private static boolean sameKvShape(KvLayout a, KvLayout b) {
        return a.layers() == b.layers() && a.kvHeads() == b.kvHeads() && a.headDim() == b.headDim();
    }

    @Override
    protected void encodeBlock(int layer, float[] keys, float[] values, int tokens) {
        int d = layout.headDim(), width = layout.tokenWidth();
        for (int t = 0; t < tokens; t++) {
            for (int head = 0; head < layout.kvHeads(); head++) {
                int base = t * width + head * d, slot = layer * layout.kvHeads() + head;
                books.keyTransform(layer, head).key(keys, base, headScratch);
                for (int s = 0; s < keySubspaces; s++) {
                    keyCodes[slot].append(books.keyBook(layer, head, s).nearest(headScratch, s * keyShape.dims()));
                }
                for (int s = 0; s < valueSubspaces; s++) {
                    valueCodes[slot].append(books.valueBook(layer, head, s).nearest(values, base + s * valueShape.dims()));
                }
            }
        }
    }

    @Override
    protected void attendCompressed(int layer, int kvHead, float[] q, int qOffset, float scale, SoftmaxAccumulator acc) {
        if (path == AttentionPath.LOOKUP_TABLE) attendByTable(layer, kvHead, q, qOffset, scale, acc);
        else attendDequantized(layer, kvHead, q, qOffset, scale, acc);
    }

    /** The fused kernel's arithmetic: keys are never decoded, values are decoded inside the weighted sum. */
    private void attendByTable(int layer, int kvHead, float[] q, int qOffset, float scale, SoftmaxAccumulator acc) {
        int slot = layer * layout.kvHeads() + kvHead, words = keyShape.codewords();
        books.keyTransform(layer, kvHead).query(q, qOffset, headScratch);
        for (int s = 0; s < keySubspaces; s++) {
            Codebook book = books.keyBook(layer, kvHead, s);
            for (int c = 0; c < words; c++) table[s * words + c] = book.dot(c, headScratch, s * keyShape.dims());
        }
        PackedCodes kc = keyCodes[slot], vc = valueCodes[slot];
        float[] out = acc.accumulator();
        for (int j = 0, n = compressedLength(layer); j < n; j++) {
            float score = 0f;
            for (int s = 0; s < keySubspaces; s++) score += table[s * words + kc.get(j * keySubspaces + s)];
            float w = acc.weightFor(score * scale);
            for (int s = 0; s < valueSubspaces; s++) {
                books.valueBook(layer, kvHead, s).addScaled(vc.get(j * valueSubspaces + s), w, out, s * valueShape.dims());
            }
        }
    }

    /** The plain reference: each key decoded and transformed back, then attended like a dense cache. */
    private void attendDequantized(int layer, int kvHead, float[] q, int qOffset, float scale, SoftmaxAccumulator acc) {
        int slot = layer * layout.kvHeads() + kvHead, d = layout.headDim();
        KeyTransform transform = books.keyTransform(layer, kvHead);
        for (int j = 0, n = compressedLength(layer); j < n; j++) {
            decode(keyCodes[slot], j, keySubspaces, keyShape, s -> books.keyBook(layer, kvHead, s), headScratch);
            transform.keyInverse(headScratch);
            decode(valueCodes[slot], j, valueSubspaces, valueShape, s -> books.valueBook(layer, kvHead, s), valueScratch);
            float dot = 0f;
            for (int i = 0; i < d; i++) dot += q[qOffset + i] * headScratch[i];
            acc.add(dot * scale, valueScratch, 0);
        }
    }

    private static void decode(PackedCodes codes, int token, int subspaces, VqShape shape,
                               IntFunction<Codebook> bookOf, float[] out) {
        for (int s = 0; s < subspaces; s++) bookOf.apply(s).decode(codes.get(token * subspaces + s), out, s * shape.dims());
    }

    @Override
    protected long compressedBytes() {
        long bytes = 0;
        for (PackedCodes c : keyCodes) bytes += c.bytes();
        for (PackedCodes c : valueCodes) bytes += c.bytes();
        return bytes;
    }
}
