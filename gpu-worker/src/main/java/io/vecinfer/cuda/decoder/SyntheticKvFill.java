package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Benchmarks only: brings empty device caches to a long context without a prefill, so that a decode step at 196k
 * tokens, or at 32k for a batch of hundreds, can be timed within one device call (a real prefill of 196k tokens takes
 * ~20 s in fp16; encoding hundreds of 32k prompts takes minutes). Nothing is attended while filling:
 * <ul>
 *   <li>fp16 ({@link DenseDeviceKvCache}): {@link #ROWS} random key and value rows (uniform in [-1, 1)), stored by the
 *       decoder's own store kernel at every position, position p getting row p mod ROWS;</li>
 *   <li>VQ ({@link DeviceVqKvCache}): the encoded positions hold uniform random codes below 2^bits (every code a valid
 *       codeword index), the residual window the first of those rows.</li>
 * </ul>
 * A decode step reads every stored byte and does the same arithmetic whatever the values are, so its time is the time of
 * a cache filled by a prefill; what the fill does not give is meaningful logits. Each cache also reserves room for
 * {@code spare} more tokens, so that the timed steps do not grow (double) its storage.
 */
public final class SyntheticKvFill implements AutoCloseable {
    /** Random rows, tiled along the positions. */
    public static final int ROWS = 4096;
    /**
     * Host block of random codes uploaded once per array and tiled over it by device copies: 1 MiB, the run of one
     * (layer, KV head) at 32k positions of 32 sub-spaces, drawn in a few ms (hundreds of caches are filled per row).
     */
    static final int CODE_BLOCK_BYTES = 1 << 20;

    private final KvLayout layout;
    private final int rows;
    private final DeviceBuffer keys, values;
    private final long seed;

    /** {@link #ROWS} random rows of {@code layout}'s width on {@code device}, drawn from {@code seed}. */
    public SyntheticKvFill(CudaDevice device, KvLayout layout, long seed) {
        this(device, layout, randomRows(layout, ROWS, new SplittableRandom(seed)), randomRows(layout, ROWS, new SplittableRandom(seed + 1)), ROWS, seed);
    }

    /** Given rows (rows × kvHeads × headDim fp32 each, post-RoPE keys): tests compare a fill with the decoder's own path. */
    SyntheticKvFill(CudaDevice device, KvLayout layout, float[] keyRows, float[] valueRows, int rows, long seed) {
        if (keyRows.length != (long) rows * layout.tokenWidth() || valueRows.length != keyRows.length) {
            throw new IllegalArgumentException(rows + " rows of " + layout.tokenWidth() + " floats expected");
        }
        this.layout = layout;
        this.rows = rows;
        this.seed = seed;
        keys = device.upload(keyRows);
        DeviceBuffer v;
        try {
            v = device.upload(valueRows);
        } catch (RuntimeException e) {
            keys.close();
            throw e;
        }
        values = v;
    }

    /**
     * Brings {@code cache}, empty, to {@code tokens} tokens in every layer, with room for {@code spare} more. Returns how,
     * in words for a benchmark's row.
     *
     * @throws UnsupportedOperationException for caches without a synthetic fill (KIVI, or caches of another package)
     */
    public String fill(DeviceKvCache cache, int tokens, int spare) {
        if (!cache.layout().equals(layout)) throw new IllegalArgumentException("rows for " + layout + ", a cache of " + cache.layout());
        if (cache instanceof DenseDeviceKvCache dense) {
            for (int l = 0; l < layout.layers(); l++) {
                if (dense.length(l) != 0) throw new IllegalStateException("a synthetic fill needs an empty cache");
                for (int at = 0; at < tokens; at += rows) {
                    dense.storeUnattended(l, keys.from(0), values.from(0), Math.min(rows, tokens - at), tokens + spare);
                }
            }
            return "synthetic: " + rows + " random fp16 key and value rows tiled over the positions by the store kernel, not attended";
        }
        if (cache instanceof DeviceVqKvCache vq) {
            vq.fillUnattended(tokens, spare, keys.from(0), values.from(0), rows, seed);
            return "synthetic: uniform random codes below 2^bits at the encoded positions, random fp16 rows in the residual window, not attended";
        }
        throw new UnsupportedOperationException(cache.getClass().getSimpleName() + " has no synthetic fill");
    }

    /** Fills the whole of {@code codes} with uniform random codes below 2^bits, in containers of {@code codeBytes}. */
    static void randomCodes(CudaDevice device, DeviceBuffer codes, int codeBytes, int bits, long seed) {
        long total = codes.bytes();
        int block = (int) Math.min(total, CODE_BLOCK_BYTES);
        codes.write(codeBlock(block, codeBytes, bits, new SplittableRandom(seed)));
        // Doubling copies: log2(total / block) device copies instead of total / block host uploads.
        for (long done = block; done < total; ) {
            long n = Math.min(done, total - done);
            codes.copyFrom(codes, 0, done, n);
            done += n;
        }
    }

    /** {@code bytes} bytes of little-endian codes below 2^bits, {@code codeBytes} each (a trailing odd byte is 0). */
    static ByteBuffer codeBlock(int bytes, int codeBytes, int bits, SplittableRandom random) {
        if (codeBytes != 1 && codeBytes != 2) throw new IllegalArgumentException(codeBytes + "-byte codes");
        if (bits < 1 || bits > 8 * codeBytes) throw new IllegalArgumentException(bits + "-bit codes in " + codeBytes + "-byte containers");
        ByteBuffer block = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int codewords = 1 << bits;
        for (int at = 0; at + codeBytes <= bytes; at += codeBytes) {
            int code = random.nextInt(codewords);
            if (codeBytes == 1) block.put(at, (byte) code);
            else block.putShort(at, (short) code);
        }
        return block;
    }

    private static float[] randomRows(KvLayout layout, int rows, SplittableRandom random) {
        float[] f = new float[rows * layout.tokenWidth()];
        for (int i = 0; i < f.length; i++) f[i] = (float) (2 * random.nextDouble() - 1);
        return f;
    }

    @Override
    public void close() {
        keys.close();
        values.close();
    }
}
