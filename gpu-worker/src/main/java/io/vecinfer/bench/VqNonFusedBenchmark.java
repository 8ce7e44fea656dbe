package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.BatchDecodeAttention;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.vq.DeviceCodebooks;
import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.cuda.vq.VqDequantizeKernel;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.VqShape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static io.vecinfer.bench.BenchArgs.ints;
import static io.vecinfer.bench.TimedRuns.median;

/**
 * The non-fused VQ ablation row (issue 12): a decode step's attention as dequantize-then-attend. vq_dequantize rebuilds
 * every compressed position's keys and values as fp16 rows in a scratch ring per sequence, then our fp16 batch decode
 * kernels (store the new token, split-KV attention, combine: BatchDecodeAttention) attend them; the step time counts
 * both, and the row also gives each half alone. Shapes, codebooks (one per layer) and codes as VqAttentionBenchmark
 * (window R = 16 excluded, random codes), so the rows sit beside the fused kernel's; joined with the SDPA peer by
 * gpu-worker/scripts/vq_rows.py. bytes_read: codes and the fp16 rows the attention reads; bytes_moved (which the
 * fraction of the copy ceiling counts): codes read, fp16 rows written, then read.
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.VqNonFusedBenchmark [--batches 1,8,32] [--contexts 32768,131072] [--configs d4b8] [--runs 20]
 * </pre>
 */
public final class VqNonFusedBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, WINDOW = 16, WARMUP = 3;
    private static final double COPY_CEILING_BYTES_PER_S = 4.22e12;

    public static void main(String[] args) {
        int runs = 20;
        int[] batches = {1, 8, 32}, contexts = {32768, 131072};
        String[] configs = {"d4b8"};
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--batches" -> batches = ints(args[i + 1]);
                case "--contexts" -> contexts = ints(args[i + 1]);
                case "--configs" -> configs = args[i + 1].split(",");
                case "--runs" -> runs = Math.max(5, Integer.parseInt(args[i + 1]));
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--batches A,B, --contexts A,B, --configs d4b8,.., --runs N)");
            }
        }
        SplittableRandom random = new SplittableRandom(20261202L);
        List<String> rows = new ArrayList<>();
        String deviceName;
        KvLayout layout = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device); VqDequantizeKernel dequantize = new VqDequantizeKernel(device)) {
            deviceName = device.name();
            DeviceBuffer block = VqAttentionBenchmark.randomBlock(device, random);
            try {
                for (String config : configs) {
                    VqShape shape = VqAttentionBenchmark.shape(config);
                    try (DeviceCodebooks books = new DeviceCodebooks(device, VqAttentionBenchmark.randomBooks(shape, random))) {
                        for (int context : contexts) {
                            for (int batch : batches) {
                                rows.add(measure(device, timer, dequantize, books, block, layout, shape, batch, context, runs, random));
                                System.err.println("done " + config + " batch " + batch + " context " + context);
                            }
                        }
                    }
                }
            } finally {
                block.close();
            }
        }
        System.out.println("{\"benchmark\": \"non-fused VQ decode: vq_dequantize to fp16, then the fp16 batch decode kernels\", \"device\": \""
                + deviceName + "\", \"query_heads\": " + QUERY_HEADS + ", \"kv_heads\": " + KV_HEADS + ", \"head_dim\": " + HEAD_DIM + ", \"window\": "
                + WINDOW + ", \"runs\": " + runs + ", \"rows\": [\n  " + String.join(",\n  ", rows) + "\n]}");
    }

    private static String measure(CudaDevice device, CudaTimer timer, VqDequantizeKernel dequantize, DeviceCodebooks books, DeviceBuffer block,
                                  KvLayout layout, VqShape shape, int batch, int context, int runs, SplittableRandom random) {
        FlatCodebooks flat = books.host();
        int compressed = (int) ResidualWindow.compressedTokens(context, WINDOW);
        VqCodeLayout keyLayout = VqCodeLayout.of(batch, 1, KV_HEADS, compressed, flat.keySubspaces(), shape.bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(batch, 1, KV_HEADS, compressed, flat.valueSubspaces(), shape.bits());
        float[] q = new float[batch * QUERY_HEADS * HEAD_DIM], kv = new float[batch * layout.tokenWidth()];
        for (int i = 0; i < q.length; i++) q[i] = (float) BenchRandom.gaussian(random);
        for (int i = 0; i < kv.length; i++) kv[i] = (float) BenchRandom.gaussian(random);
        int[] positions = new int[batch];
        Arrays.fill(positions, compressed - 1); // the new token overwrites the last dequantized row: the step attends `compressed` positions
        float scale = (float) (1 / Math.sqrt(HEAD_DIM));
        float[] step = new float[runs], dequantOnly = new float[runs], attendOnly = new float[runs];
        List<Fp16KvRing> rings = new ArrayList<>();
        try (DeviceBuffer keyCodes = VqAttentionBenchmark.tiled(device, block, keyLayout.bytes());
             DeviceBuffer valueCodes = VqAttentionBenchmark.tiled(device, block, valueLayout.bytes());
             DeviceBuffer qs = device.upload(q); DeviceBuffer k = device.upload(kv); DeviceBuffer v = device.upload(kv);
             DeviceBuffer out = device.allocate(4L * q.length); BatchDecodeAttention attention = new BatchDecodeAttention(device, layout)) {
            for (int s = 0; s < batch; s++) rings.add(new Fp16KvRing(device, layout, compressed));
            attention.prepare(rings, positions);
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                dequantize.launch(books, 0, keyCodes, keyLayout, valueCodes, valueLayout, rings, compressed);
                attention.storeAndAttend(0, qs.from(0), k.from(0), v.from(0), scale, out.from(0));
                float t = timer.stopMillis();
                timer.start();
                dequantize.launch(books, 0, keyCodes, keyLayout, valueCodes, valueLayout, rings, compressed);
                float d = timer.stopMillis();
                timer.start();
                attention.storeAndAttend(0, qs.from(0), k.from(0), v.from(0), scale, out.from(0));
                float a = timer.stopMillis();
                if (i >= WARMUP) {
                    step[i - WARMUP] = t;
                    dequantOnly[i - WARMUP] = d;
                    attendOnly[i - WARMUP] = a;
                }
            }
        } finally {
            rings.forEach(Fp16KvRing::close);
        }
        long codeBytes = (long) batch * KV_HEADS * compressed * (flat.keySubspaces() + flat.valueSubspaces()) * keyLayout.codeBytes();
        long fp16Bytes = 2L * batch * compressed * layout.tokenWidth() * 2; // keys and values
        long bytes = codeBytes + 2 * fp16Bytes + books.bytes();
        double ms = median(step);
        return String.format(Locale.ROOT, "{\"method\": \"vecinfer-nonfused:k=%s,v=%s\", \"kernel\": \"vq_dequantize+attention_decode\", \"variant\": \"nonfused\","
                        + " \"batch\": %d, \"context\": %d, \"compressed_tokens\": %d, \"ours_ms\": %.4f, \"dequantize_ms\": %.4f, \"attend_ms\": %.4f,"
                        + " \"bytes_read\": %d, \"code_bytes\": %d, \"fp16_bytes_written\": %d, \"bytes_moved\": %d, \"tb_per_s\": %.3f,"
                        + " \"fraction_of_copy_ceiling\": %.3f}",
                shape, shape, batch, context, compressed, ms, median(dequantOnly), median(attendOnly), codeBytes + fp16Bytes + books.bytes(), codeBytes,
                fp16Bytes, bytes, bytes / ms / 1e9, bytes / (ms / 1e3) / COPY_CEILING_BYTES_PER_S);
    }
}
