package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.vq.DeviceCodebooks;
import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.VqShape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Decode-step time of the fused VQ attention kernel (compressed part, split merge included; the fp16
 * window and the window merge are other kernels) on Llama-3.1-8B shapes: 32 query heads, 8 KV heads,
 * head_dim 128, one layer, VecInfer d4b8 keys and values (random λ, codebooks and codes: the kernel's
 * time does not depend on their values), window R = 16, one query token per sequence at the last
 * position. Median of CUDA-event times over the runs after warm-up; prints JSON. Its fp16 peer is
 * gpu-worker/scripts/sdpa_peer.py (SDPA with enable_gqa=True), to be run in the same session:
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.VqAttentionBenchmark [--batch 8] [--contexts 32768,131072] [--runs 30]
 * </pre>
 * Each context is timed with the fp32 and the fp16 query table. Bytes read count the codes as stored (uint8
 * containers for d4b8) plus codebooks, λ and queries; {@code packed_bytes} is what the codes take at their 8-bit
 * width, the 2-bit floor of performance.md.
 */
public final class VqAttentionBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, WINDOW = 16, WARMUP = 5;
    private static final VqShape D4B8 = new VqShape(4, 8);

    public static void main(String[] args) {
        int batch = 8, runs = 30;
        int[] contexts = {32768, 131072};
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Math.max(20, Integer.parseInt(args[i + 1]));
                case "--contexts" -> contexts = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--batch N, --contexts A,B, --runs N)");
            }
        }
        SplittableRandom random = new SplittableRandom(20261129L);
        FlatCodebooks flat = randomBooks(random);
        List<String> results = new ArrayList<>();
        String deviceName;
        try (CudaDevice device = CudaDevice.open(0);
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             VqAttentionKernel kernel = new VqAttentionKernel(device);
             CudaTimer timer = new CudaTimer(device)) {
            deviceName = device.name();
            for (int context : contexts) {
                for (boolean half : new boolean[]{false, true}) results.add(measure(device, books, kernel, timer, batch, context, runs, half, random));
            }
        }
        System.out.println("{\"benchmark\": \"vq_attention d4b8/d4b8 decode\", \"device\": \"" + deviceName + "\", \"query_heads\": " + QUERY_HEADS
                + ", \"kv_heads\": " + KV_HEADS + ", \"head_dim\": " + HEAD_DIM + ", \"window\": " + WINDOW + ", \"runs\": " + runs
                + ", \"results\": [\n  " + String.join(",\n  ", results) + "\n]}");
    }

    private static String measure(CudaDevice device, DeviceCodebooks books, VqAttentionKernel kernel, CudaTimer timer,
                                  int batch, int context, int runs, boolean halfTable, SplittableRandom random) {
        FlatCodebooks flat = books.host();
        int compressed = (int) ResidualWindow.compressedTokens(context, WINDOW);
        VqCodeLayout keyLayout = VqCodeLayout.of(batch, 1, KV_HEADS, context, flat.keySubspaces(), D4B8.bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(batch, 1, KV_HEADS, context, flat.valueSubspaces(), D4B8.bits());
        int[] sequences = new int[batch], positions = new int[batch];
        for (int b = 0; b < batch; b++) {
            sequences[b] = b;
            positions[b] = context - 1;
        }
        float[] q = new float[batch * QUERY_HEADS * HEAD_DIM];
        for (int i = 0; i < q.length; i++) q[i] = (float) gaussian(random);
        VqAttentionKernel.Plan plan = kernel.plan(flat, batch, compressed, halfTable);
        float[] ms = new float[runs];
        try (DeviceBuffer keyCodes = randomCodes(device, keyLayout, random); DeviceBuffer valueCodes = randomCodes(device, valueLayout, random);
             DeviceBuffer qs = device.upload(q); DeviceBuffer seq = device.upload(sequences); DeviceBuffer pos = device.upload(positions);
             DeviceBuffer o = device.allocate(4L * q.length); DeviceBuffer lse = device.allocate(4L * batch * QUERY_HEADS)) {
            float scale = (float) (1 / Math.sqrt(HEAD_DIM));
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                kernel.launch(books, 0, plan, qs.from(0), batch, seq, pos, WINDOW, scale, keyCodes, keyLayout, valueCodes, valueLayout, o, lse);
                float t = timer.stopMillis();
                if (i >= WARMUP) ms[i - WARMUP] = t;
            }
        }
        Arrays.sort(ms);
        double median = runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2.0;
        long codes = (long) batch * KV_HEADS * compressed * (flat.keySubspaces() + flat.valueSubspaces());
        long other = books.bytes() + 4L * q.length;
        long read = codes * keyLayout.codeBytes() + other, packed = codes * D4B8.bits() / 8 + other;
        return String.format(Locale.ROOT, "{\"table\": \"%s\", \"code_bytes\": %d, \"batch\": %d, \"context\": %d, \"compressed_tokens\": %d, \"splits\": %d, \"chunk_tokens\": %d,"
                        + " \"table_in_shared\": %b, \"shared_bytes\": %d, \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f,"
                        + " \"bytes_read\": %d, \"packed_bytes\": %d, \"gb_per_s\": %.1f, \"packed_gb_per_s\": %.1f}",
                halfTable ? "fp16" : "fp32", keyLayout.codeBytes(), batch, context, compressed, plan.splits(), plan.chunkTokens(), plan.tableInShared(), plan.sharedBytes(), median, ms[0], ms[runs - 1],
                read, packed, read / median / 1e6, packed / median / 1e6);
    }

    private static FlatCodebooks randomBooks(SplittableRandom random) {
        KvLayout layout = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
        int sub = D4B8.subspaces(HEAD_DIM);
        float[] keyWords = new float[D4B8.codewords() * D4B8.dims()], valueWords = new float[keyWords.length];
        for (int i = 0; i < keyWords.length; i++) {
            keyWords[i] = (float) gaussian(random);
            valueWords[i] = (float) gaussian(random);
        }
        float[] lambda = new float[KV_HEADS * HEAD_DIM];
        for (int i = 0; i < lambda.length; i++) lambda[i] = 0.5f + 3 * (float) random.nextDouble();
        // one codebook per layer (VecInfer's default scope): book 0 for every sub-vector
        return new FlatCodebooks(layout, D4B8, D4B8, keyWords, valueWords, new int[KV_HEADS * sub], new int[KV_HEADS * sub], lambda, true);
    }

    /** Uniform 8-bit codes in the layout's containers (uint8 for d4b8), four bytes to an int (little-endian, as the device reads them). */
    private static DeviceBuffer randomCodes(CudaDevice device, VqCodeLayout layout, SplittableRandom random) {
        int[] words = new int[Math.toIntExact(layout.bytes() / 4)];
        int mask = layout.codeBytes() == 1 ? 0xffffffff : 0x00ff00ff;
        for (int i = 0; i < words.length; i++) words[i] = random.nextInt() & mask;
        DeviceBuffer codes = device.allocate(layout.bytes());
        codes.write(words);
        return codes;
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
