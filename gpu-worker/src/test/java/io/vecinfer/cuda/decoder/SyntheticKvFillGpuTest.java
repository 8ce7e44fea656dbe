package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.RandomCodebooks;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: {@link SyntheticKvFill} leaves a cache in the state the decoder's own path reaches. fp16: a cache filled with
 * rows tiled over the positions attends a new token exactly as one appended those same rows chunk by chunk through
 * appendAndAttend (same store and decode kernels, so bit for bit), with the same length and bytes. VQ: the length,
 * the encoded count and the stored bytes are those of a cache appended the real way, and a step attends to finite
 * outputs. Rows that are not tile multiples, GQA 7:1, head_dim 64 and 128; outputs poisoned with NaN first.
 */
class SyntheticKvFillGpuTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @ParameterizedTest
    @CsvSource({"128, 2, 14, 100, 333", "64, 1, 7, 37, 1100", "128, 2, 4, 512, 512"})
    void fp16FillAttendsAsTheAppendedCache(int headDim, int kvHeads, int queryHeads, int rows, int tokens) {
        KvLayout layout = new KvLayout(2, kvHeads, queryHeads, headDim);
        int width = layout.tokenWidth(), qWidth = queryHeads * headDim;
        float[] keyRows = random.floats(rows * width, 1), valueRows = random.floats(rows * width, 1);
        float[] tiledKeys = new float[tokens * width], tiledValues = new float[tokens * width];
        for (int p = 0; p < tokens; p++) {
            System.arraycopy(keyRows, (p % rows) * width, tiledKeys, p * width, width);
            System.arraycopy(valueRows, (p % rows) * width, tiledValues, p * width, width);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        var device = gpu.device();
        try (SyntheticKvFill fill = new SyntheticKvFill(device, layout, keyRows, valueRows, rows, 1);
             DenseDeviceKvCache synthetic = new DenseDeviceKvCache(device, layout); DenseDeviceKvCache appended = new DenseDeviceKvCache(device, layout);
             DeviceBuffer k = device.upload(tiledKeys); DeviceBuffer v = device.upload(tiledValues);
             DeviceBuffer q = device.upload(random.floats(tokens * qWidth, 1)); DeviceBuffer scratch = device.allocate(4L * tokens * qWidth);
             DeviceBuffer newQ = device.upload(random.floats(qWidth, 1)); DeviceBuffer newK = device.upload(random.floats(width, 1));
             DeviceBuffer newV = device.upload(random.floats(width, 1));
             DeviceBuffer outSynthetic = device.allocate(4L * qWidth); DeviceBuffer outAppended = device.allocate(4L * qWidth)) {
            fill.fill(synthetic, tokens, 4);
            int chunk = 128;
            for (int l = 0; l < layout.layers(); l++) {
                for (int at = 0; at < tokens; at += chunk) {
                    int n = Math.min(chunk, tokens - at);
                    appended.appendAndAttend(l, q.from((long) at * qWidth), k.from((long) at * width), v.from((long) at * width), at, n, scale,
                            scratch.from((long) at * qWidth));
                }
            }
            for (int l = 0; l < layout.layers(); l++) {
                assertEquals(tokens, synthetic.length(l));
                // Grown once, to the context and the 4 spare positions (or the ring's first doubling, from 256, if more).
                assertEquals(Math.max(tokens + 4, 512), synthetic.ring().capacity(l), "layer " + l + ": ring capacity");
                outSynthetic.write(nans(qWidth));
                outAppended.write(nans(qWidth));
                synthetic.appendAndAttend(l, newQ.from(0), newK.from(0), newV.from(0), tokens, 1, scale, outSynthetic.from(0));
                appended.appendAndAttend(l, newQ.from(0), newK.from(0), newV.from(0), tokens, 1, scale, outAppended.from(0));
                float[] a = outSynthetic.readFloats(), b = outAppended.readFloats();
                for (float x : a) assertTrue(Float.isFinite(x), "layer " + l + ": a non-finite output");
                assertArrayEquals(b, a, "layer " + l + ": the step over the synthetic cache");
            }
            assertEquals(appended.storedBytes(), synthetic.storedBytes());
        }
    }

    @ParameterizedTest
    // The method strings hold commas, so the columns are split on ';' (the default ',' split "v=d4b8" into the int column).
    @CsvSource(delimiter = ';', value = {"vecinfer:k=d4b8,v=d4b8,r=32; 128; 2; 14; 1000", "vecinfer:k=d8b12,v=d8b8,r=32; 64; 1; 7; 333",
            "vecinfer:k=d4b8,v=d4b8,r=128; 128; 2; 4; 200"})
    void vqFillHoldsWhatAppendingHolds(String method, int headDim, int kvHeads, int queryHeads, int tokens) {
        KvLayout layout = new KvLayout(2, kvHeads, queryHeads, headDim);
        VqSpec spec = (VqSpec) MethodSpec.parse(method);
        int width = layout.tokenWidth(), qWidth = queryHeads * headDim, rows = 100;
        float scale = (float) (1 / Math.sqrt(headDim));
        var device = gpu.device();
        try (DeviceVqMethod vq = new DeviceVqMethod(device, RandomCodebooks.of(spec, layout, new Random(random.seed)));
             SyntheticKvFill fill = new SyntheticKvFill(device, layout, random.floats(rows * width, 1), random.floats(rows * width, 1), rows, 2);
             DeviceBuffer newQ = device.upload(random.floats(qWidth, 1)); DeviceBuffer newK = device.upload(random.floats(width, 1));
             DeviceBuffer newV = device.upload(random.floats(width, 1)); DeviceBuffer out = device.allocate(4L * qWidth)) {
            DeviceVqKvCache synthetic = (DeviceVqKvCache) vq.create(layout);
            try {
                fill.fill(synthetic, tokens, 40);
                int encoded = (int) ResidualWindow.compressedTokens(tokens, spec.window());
                for (int l = 0; l < layout.layers(); l++) {
                    assertEquals(tokens, synthetic.length(l));
                    assertEquals(encoded, synthetic.encoded(l));
                }
                long windowBytes = (long) (tokens - encoded) * width * 2 * Short.BYTES;
                assertEquals(layout.layers() * (synthetic.encodedBytes(0, encoded) + windowBytes), synthetic.storedBytes());
                // Steps past a flush (r = 32: one every 32 tokens), none of which grows the code arrays (40 spare positions reserved).
                int capacity = synthetic.codeCapacity();
                assertTrue(capacity >= ResidualWindow.compressedTokens(tokens + 40, spec.window()), "code positions reserved: " + capacity);
                for (int step = 0; step < 40; step++) {
                    for (int l = 0; l < layout.layers(); l++) {
                        out.write(nans(qWidth));
                        synthetic.appendAndAttend(l, newQ.from(0), newK.from(0), newV.from(0), tokens + step, 1, scale, out.from(0));
                        for (float x : out.readFloats()) assertTrue(Float.isFinite(x), "step " + step + ", layer " + l + ": a non-finite output");
                    }
                }
                assertEquals(tokens + 40, synthetic.length(0));
                assertEquals(capacity, synthetic.codeCapacity(), "the code arrays grew during the steps: the spare positions were not reserved");
            } finally {
                synthetic.close();
            }
        }
    }

    private static float[] nans(int n) {
        float[] f = new float[n];
        Arrays.fill(f, Float.NaN);
        return f;
    }
}
