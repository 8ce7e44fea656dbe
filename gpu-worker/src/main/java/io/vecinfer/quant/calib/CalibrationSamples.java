package io.vecinfer.quant.calib;

import io.vecinfer.kvcache.KvLayout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Post-RoPE keys and values collected from calibration text, per layer, token-major
 * (tokens × kvHeads × headDim). Tokens of several sequences simply follow one another.
 */
public final class CalibrationSamples {
    private final KvLayout layout;
    private final float[][] keys;
    private final float[][] values;
    private final int[] tokens;

    public CalibrationSamples(KvLayout layout) {
        this.layout = layout;
        keys = new float[layout.layers()][layout.tokenWidth() * 64];
        values = new float[layout.layers()][layout.tokenWidth() * 64];
        tokens = new int[layout.layers()];
    }

    public KvLayout layout() {
        return layout;
    }

    /** Records one token of {@code layer}: kvHeads × headDim floats of key and of value from the offsets. */
    public synchronized void add(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        int width = layout.tokenWidth(), at = tokens[layer] * width;
        if (at + width > keys[layer].length) {
            keys[layer] = Arrays.copyOf(keys[layer], keys[layer].length * 2);
            values[layer] = Arrays.copyOf(values[layer], values[layer].length * 2);
        }
        System.arraycopy(k, kOffset, keys[layer], at, width);
        System.arraycopy(v, vOffset, values[layer], at, width);
        tokens[layer]++;
    }

    public synchronized int tokens(int layer) {
        return tokens[layer];
    }

    /** Keys of one KV head, tokens × headDim. */
    public synchronized float[] keys(int layer, int head) {
        return head(keys[layer], layer, head);
    }

    /** Values of one KV head, tokens × headDim. */
    public synchronized float[] values(int layer, int head) {
        return head(values[layer], layer, head);
    }

    private float[] head(float[] all, int layer, int head) {
        int d = layout.headDim(), width = layout.tokenWidth(), n = tokens[layer];
        float[] out = new float[n * d];
        for (int t = 0; t < n; t++) System.arraycopy(all, t * width + head * d, out, t * d, d);
        return out;
    }

    /** SHA-256 over the layout, each layer's token count and every float's bits: identifies the calibration data. */
    public synchronized String sha256() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(4 * layout.tokenWidth()).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(layout.layers()).putInt(layout.kvHeads()).putInt(layout.headDim());
            digest.update(b.array(), 0, 12);
            for (int l = 0; l < layout.layers(); l++) {
                b.clear();
                digest.update(b.putInt(tokens[l]).array(), 0, 4);
                for (float[] side : new float[][]{keys[l], values[l]}) {
                    for (int t = 0; t < tokens[l]; t++) {
                        b.clear();
                        b.asFloatBuffer().put(side, t * layout.tokenWidth(), layout.tokenWidth());
                        digest.update(b.array());
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
