package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.vq.DeviceCodebooks;
import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqAttentionParams;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.VqShape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static io.vecinfer.bench.BenchArgs.ints;

/**
 * Decode-step time of the fused VQ attention kernels (compressed part, split merge included; the fp16 window and the
 * window merge are other kernels) on Llama-3.1-8B shapes: 32 query heads, 8 KV heads, head_dim 128, one layer, window
 * R = 16, one query token per sequence at the last position; random λ, codebooks (one per layer) and codes (the LUT
 * kernel's time does not depend on their values). Median of CUDA-event times over the runs after warm-up; prints JSON
 * rows, one per (configuration, kernel, variant, batch, context). Its fp16 peer is gpu-worker/scripts/sdpa_peer.py
 * (SDPA with enable_gqa=True), run in the same device call; gpu-worker/scripts/vq_rows.py joins the two.
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.VqAttentionBenchmark [--batches 1,8,32] [--contexts 32768,131072,196608]
 *        [--configs d4b8,d8b8,d2b8,d8b12,d8b12/d8b8] [--runs 30]
 * </pre>
 * A configuration is {@code dNbM} (keys and values alike) or {@code KEYS/VALUES} for a mixed pair, e.g. {@code d8b12/d8b8}
 * (method {@code vecinfer:k=d8b12,v=d8b8}; a slash because the list itself is comma-separated).
 * Kernels: {@code lut} (the decoder's plan for these configurations), {@code lut_hv} (its fp16 value path) and {@code mma}
 * (vq_mma_attention: codebooks decoded into tensor-core fragments; with its attribution variants for d4 and d8 keys), or
 * {@code mma_wide} (the same family with a wide d8 book, codes of 9 to 12 bits: d8b12 and its mixed pairs), for every
 * configuration; for d4 keys and for wide books also
 * {@code general} (the previous kernel, fp16 table) and the LUT kernel's attribution variants, each with one phase left
 * out (VqAttentionParams.SKIP_*: {@code no_keys}, {@code no_values}, {@code no_softmax}, {@code no_staging}), so that
 * the full kernel's time is split by measurement. Codes are rotated over copies whose other traffic exceeds 2 × L2, so
 * the L2 does not serve them. {@code cycles_per_token_head} = time × 1.98 GHz × 132 SMs / (batch × 8 KV heads × tokens).
 */
public final class VqAttentionBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, WINDOW = 16, WARMUP = 5;
    private static final long L2_BYTES = 50L << 20, BLOCK_BYTES = 16L << 20;
    private static final double COPY_CEILING_BYTES_PER_S = 4.22e12, CLOCK_HZ = 1.98e9;
    private static final int SMS = 132;
    private static final String[] VARIANTS = {"full", "no_keys", "no_values", "no_softmax", "no_staging"};
    private static final int[] SKIPS = {0, VqAttentionParams.SKIP_KEYS, VqAttentionParams.SKIP_VALUES, VqAttentionParams.SKIP_SOFTMAX,
            VqAttentionParams.SKIP_STAGING};

    public static void main(String[] args) {
        int runs = 30;
        int[] batches = {1, 8, 32}, contexts = {32768, 131072, 196608};
        String[] configs = {"d4b8", "d8b8", "d2b8"};
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--batches" -> batches = ints(args[i + 1]);
                case "--batch" -> batches = ints(args[i + 1]);
                case "--runs" -> runs = Math.max(20, Integer.parseInt(args[i + 1]));
                case "--contexts" -> contexts = ints(args[i + 1]);
                case "--configs" -> configs = args[i + 1].split(",");
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--batches A,B, --contexts A,B, --configs d4b8,.., --runs N)");
            }
        }
        SplittableRandom random = new SplittableRandom(20261129L);
        List<String> rows = new ArrayList<>();
        String deviceName;
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device); VqAttentionKernel kernel = new VqAttentionKernel(device)) {
            deviceName = device.name();
            DeviceBuffer block = randomBlock(device, random);
            try {
                for (String config : configs) {
                    VqShape[] sides = sides(config);
                    FlatCodebooks flat = randomBooks(sides[0], sides[1], random);
                    try (DeviceCodebooks books = new DeviceCodebooks(device, flat)) {
                        for (int batch : batches) {
                            for (int context : contexts) {
                                rows.addAll(measure(device, books, kernel, timer, block, batch, context, runs, random));
                                System.err.println("done " + config + " batch " + batch + " context " + context);
                            }
                        }
                    }
                }
            } finally {
                block.close();
            }
        }
        System.out.println("{\"benchmark\": \"vq_attention decode\", \"device\": \"" + deviceName + "\", \"query_heads\": " + QUERY_HEADS
                + ", \"kv_heads\": " + KV_HEADS + ", \"head_dim\": " + HEAD_DIM + ", \"window\": " + WINDOW + ", \"runs\": " + runs
                + ", \"rows\": [\n  " + String.join(",\n  ", rows) + "\n]}");
    }

    /** "d4b8" → 4 dims, 8 bits. */
    static VqShape shape(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("d(\\d+)b(\\d+)").matcher(text);
        if (!m.matches()) throw new IllegalArgumentException("a configuration is dNbM, not " + text);
        return new VqShape(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** "d4b8" → keys and values d4b8; "d8b12/d8b8" → keys d8b12, values d8b8. */
    static VqShape[] sides(String text) {
        String[] parts = text.split("/");
        if (parts.length > 2) throw new IllegalArgumentException("a configuration is dNbM or KEYS/VALUES, not " + text);
        return new VqShape[]{shape(parts[0]), shape(parts[parts.length - 1])};
    }

    private static List<String> measure(CudaDevice device, DeviceCodebooks books, VqAttentionKernel kernel, CudaTimer timer, DeviceBuffer block,
                                        int batch, int context, int runs, SplittableRandom random) {
        FlatCodebooks flat = books.host();
        VqShape keyShape = flat.keys(), valueShape = flat.values();
        boolean wide = keyShape.bits() > 8 || valueShape.bits() > 8;
        int compressed = (int) ResidualWindow.compressedTokens(context, WINDOW);
        VqCodeLayout keyLayout = VqCodeLayout.of(batch, 1, KV_HEADS, context, flat.keySubspaces(), keyShape.bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(batch, 1, KV_HEADS, context, flat.valueSubspaces(), valueShape.bits());
        long codeBytes = keyLayout.bytes() + valueLayout.bytes();
        int copies = (int) Math.max(1, Math.min(16, 1 + (2 * L2_BYTES + codeBytes - 1) / codeBytes));
        int[] sequences = new int[batch], positions = new int[batch];
        for (int b = 0; b < batch; b++) {
            sequences[b] = b;
            positions[b] = context - 1;
        }
        float[] q = new float[batch * QUERY_HEADS * HEAD_DIM];
        for (int i = 0; i < q.length; i++) q[i] = (float) BenchRandom.gaussian(random);
        String method = "vecinfer:k=" + keyShape + ",v=" + valueShape;
        List<String> out = new ArrayList<>();
        List<DeviceBuffer> buffers = new ArrayList<>();
        try (DeviceBuffer qs = device.upload(q); DeviceBuffer seq = device.upload(sequences); DeviceBuffer pos = device.upload(positions);
             DeviceBuffer o = device.allocate(4L * q.length); DeviceBuffer lse = device.allocate(4L * batch * QUERY_HEADS)) {
            DeviceBuffer[] keys = new DeviceBuffer[copies], values = new DeviceBuffer[copies];
            for (int c = 0; c < copies; c++) {
                buffers.add(keys[c] = tiled(device, block, keyLayout.bytes()));
                buffers.add(values[c] = tiled(device, block, valueLayout.bytes()));
            }
            VqAttentionKernel.Plan lut = kernel.lutPlan(flat, batch, compressed);
            List<Object[]> cases = new ArrayList<>(); // kernel name, plan, variant index
            if (lut != null) cases.add(new Object[]{"lut", lut, 0});
            VqAttentionKernel.Plan halfValues = kernel.lutHalfValuesPlan(flat, batch, compressed);
            if (halfValues != null) cases.add(new Object[]{"lut_hv", halfValues, 0});
            VqAttentionKernel.Plan mma = kernel.mmaPlan(flat, batch, compressed);
            String mmaName = mma != null && mma.variant() == VqAttentionKernel.Variant.MMA_WIDE ? "mma_wide" : "mma";
            if (mma != null) cases.add(new Object[]{mmaName, mma, 0});
            if (keyShape.dims() == 4 || wide) { // the general kernel is today's plan for the wide books
                cases.add(new Object[]{"general", kernel.plan(flat, batch, compressed, true), 0});
                if (lut != null) for (int v = 1; v < VARIANTS.length; v++) cases.add(new Object[]{"lut", lut, v});
            }
            if (mma != null && keyShape.dims() >= 4) for (int v = 1; v < VARIANTS.length; v++) cases.add(new Object[]{mmaName, mma, v});
            float scale = (float) (1 / Math.sqrt(HEAD_DIM));
            for (Object[] c : cases) {
                VqAttentionKernel.Plan plan = (VqAttentionKernel.Plan) c[1];
                int variant = (Integer) c[2];
                float[] ms = new float[runs];
                for (int i = 0; i < WARMUP + runs; i++) {
                    int at = i % copies;
                    timer.start();
                    kernel.launch(books, 0, plan, qs.from(0), batch, seq, pos, WINDOW, scale, keys[at], keyLayout, values[at], valueLayout, o, lse,
                            SKIPS[variant]);
                    float t = timer.stopMillis();
                    if (i >= WARMUP) ms[i - WARMUP] = t;
                }
                Arrays.sort(ms);
                double median = runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2.0;
                long tokens = (long) batch * KV_HEADS * compressed;
                long keyCodes = tokens * flat.keySubspaces(), valueCodes = tokens * flat.valueSubspaces();
                long read = keyCodes * keyLayout.codeBytes() + valueCodes * valueLayout.codeBytes() + books.bytes() + 4L * q.length;
                long packed = (keyCodes * keyShape.bits() + valueCodes * valueShape.bits()) / 8 + books.bytes() + 4L * q.length;
                double cycles = median * 1e-3 * CLOCK_HZ * SMS / ((double) batch * KV_HEADS * compressed);
                out.add(String.format(Locale.ROOT, "{\"method\": \"%s\", \"kernel\": \"%s\", \"variant\": \"%s\", \"batch\": %d, \"context\": %d,"
                                + " \"compressed_tokens\": %d, \"splits\": %d, \"chunk_tokens\": %d, \"threads\": %d, \"shared_bytes\": %d, \"code_copies\": %d,"
                                + " \"ours_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, \"bytes_read\": %d, \"packed_bytes\": %d, \"tb_per_s\": %.3f,"
                                + " \"fraction_of_copy_ceiling\": %.3f, \"cycles_per_token_head\": %.2f}",
                        method, c[0], VARIANTS[variant], batch, context, compressed, plan.splits(), plan.chunkTokens(), plan.threads(), plan.sharedBytes(),
                        copies, median, ms[0], ms[runs - 1], read, packed, read / median / 1e9, read / (median / 1e3) / COPY_CEILING_BYTES_PER_S, cycles));
            }
        } finally {
            buffers.forEach(DeviceBuffer::close);
        }
        return out;
    }

    static FlatCodebooks randomBooks(VqShape shape, SplittableRandom random) {
        return randomBooks(shape, shape, random);
    }

    static FlatCodebooks randomBooks(VqShape keys, VqShape values, SplittableRandom random) {
        return randomBooks(new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM), keys, values, random);
    }

    /** One book per side for the layer (book 0 for every sub-vector), N(0,1) codewords, λ in [0.5, 3.5), Hadamard on. */
    static FlatCodebooks randomBooks(KvLayout layout, VqShape keys, VqShape values, SplittableRandom random) {
        float[] keyWords = new float[keys.codewords() * keys.dims()], valueWords = new float[values.codewords() * values.dims()];
        for (int i = 0; i < keyWords.length; i++) keyWords[i] = (float) BenchRandom.gaussian(random);
        for (int i = 0; i < valueWords.length; i++) valueWords[i] = (float) BenchRandom.gaussian(random);
        int kvHeads = layout.kvHeads(), headDim = layout.headDim();
        float[] lambda = new float[kvHeads * headDim];
        for (int i = 0; i < lambda.length; i++) lambda[i] = 0.5f + 3 * (float) random.nextDouble();
        // one codebook per layer (VecInfer's default scope): book 0 for every sub-vector
        return new FlatCodebooks(layout, keys, values, keyWords, valueWords, new int[kvHeads * keys.subspaces(headDim)],
                new int[kvHeads * values.subspaces(headDim)], lambda, true);
    }

    /** 16 MiB of uniform random bytes (8-bit codes: every codeword equally likely). */
    static DeviceBuffer randomBlock(CudaDevice device, SplittableRandom random) {
        int[] words = new int[(int) (BLOCK_BYTES / 4)];
        for (int i = 0; i < words.length; i++) words[i] = random.nextInt();
        DeviceBuffer b = device.allocate(BLOCK_BYTES);
        b.write(words);
        return b;
    }

    /** A buffer of {@code bytes} holding the random block over and over (device-to-device copies). */
    static DeviceBuffer tiled(CudaDevice device, DeviceBuffer block, long bytes) {
        DeviceBuffer b = device.allocate(bytes);
        for (long at = 0; at < bytes; at += BLOCK_BYTES) b.copyFrom(block, 0, at, Math.min(BLOCK_BYTES, bytes - at));
        return b;
    }

}
