package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.vq.DeviceCodebooks;
import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.cuda.vq.VqEncodeKernel;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqShape;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.tensor.Half;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Encoding at prefill speed: what prefill=exact does to one layer when the prompt ends, one vq_encode launch over
 * every token and KV head of the prompt (λ division, Hadamard, nearest codeword for keys; nearest codeword for
 * values), on Llama-3.1-8B heads (8 KV heads, head_dim 128) and a 32k prompt by default. Random fp16 keys and values,
 * λ and N(0,1) codebooks (one book per layer, VecInfer's default scope): the search scans every codeword whatever the
 * values. Median of CUDA-event times after warm-up; {@code tokens_per_s} is one layer's tokens per second, and
 * {@code model_tokens_per_s} a 32-layer model's (the prompt's encode then costs 32 launches). Prints JSON:
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.VqEncodeBenchmark [--tokens 32768] [--runs 10] [--shapes d4b8/d4b8,d8b12/d8b12]
 * </pre>
 */
public final class VqEncodeBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, MODEL_LAYERS = 32, WARMUP = 2;

    public static void main(String[] args) {
        int tokens = 32768, runs = 10;
        String[] shapes = {"d4b8/d4b8", "d2b8/d2b8", "d8b8/d8b8", "d8b12/d8b12"};
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Math.max(3, Integer.parseInt(args[i + 1]));
                case "--shapes" -> shapes = args[i + 1].split(",");
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--tokens N, --runs N, --shapes K/V,...)");
            }
        }
        SplittableRandom random = new SplittableRandom(20261201L);
        KvLayout layout = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
        List<String> rows = new ArrayList<>();
        String deviceName;
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device);
             DeviceBuffer keys = fp16Ring(device, tokens, layout, random); DeviceBuffer values = fp16Ring(device, tokens, layout, random)) {
            deviceName = device.name();
            VqEncodeKernel kernel = new VqEncodeKernel(device);
            for (String shape : shapes) {
                String[] kv = shape.split("/");
                VqSpec spec = (VqSpec) MethodSpec.parse("vecinfer:k=" + kv[0] + ",v=" + kv[1] + ",r=128");
                FlatCodebooks flat = VqAttentionBenchmark.randomBooks(layout, spec.keys(), spec.values(), random);
                rows.add(measure(device, timer, kernel, flat, keys, values, tokens, runs));
            }
        }
        System.out.println("{\"benchmark\": \"vq_encode of a whole prompt, one launch per layer\", \"device\": \"" + deviceName
                + "\", \"kv_heads\": " + KV_HEADS + ", \"head_dim\": " + HEAD_DIM + ", \"tokens\": " + tokens + ", \"runs\": " + runs
                + ", \"results\": [\n  " + String.join(",\n  ", rows) + "\n]}");
    }

    private static String measure(CudaDevice device, CudaTimer timer, VqEncodeKernel kernel, FlatCodebooks flat, DeviceBuffer keys,
                                  DeviceBuffer values, int tokens, int runs) {
        VqCodeLayout keyLayout = VqCodeLayout.of(1, 1, KV_HEADS, tokens, flat.keySubspaces(), flat.keys().bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(1, 1, KV_HEADS, tokens, flat.valueSubspaces(), flat.values().bits());
        float[] ms = new float[runs];
        try (DeviceCodebooks books = new DeviceCodebooks(device, flat);
             DeviceBuffer keyCodes = device.allocate(keyLayout.bytes()); DeviceBuffer valueCodes = device.allocate(valueLayout.bytes())) {
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                kernel.launch(books, keys, values, tokens, 0, 0, 0, tokens, keyCodes, keyLayout, valueCodes, valueLayout);
                float t = timer.stopMillis();
                if (i >= WARMUP) ms[i - WARMUP] = t;
            }
        }
        Arrays.sort(ms);
        double median = runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2.0;
        // Distance terms: every sub-vector against every codeword of its book, one subtract-multiply-add per dimension.
        double terms = (double) tokens * KV_HEADS * HEAD_DIM * (flat.keys().codewords() + (double) flat.values().codewords());
        return String.format(Locale.ROOT, "{\"keys\": \"%s\", \"values\": \"%s\", \"tokens\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f,"
                        + " \"max_ms\": %.3f, \"tokens_per_s\": %.4g, \"model_tokens_per_s\": %.4g, \"distance_terms_per_s\": %.4g}",
                flat.keys(), flat.values(), tokens, median, ms[0], ms[runs - 1], tokens / (median / 1e3),
                tokens / (MODEL_LAYERS * median / 1e3), terms / (median / 1e3));
    }

    /** N(0,1) keys and values as fp16, slot = position (the prompt ring of prefill=exact), tokens × kvHeads × headDim. */
    private static DeviceBuffer fp16Ring(CudaDevice device, int tokens, KvLayout layout, SplittableRandom random) {
        short[] x = new short[tokens * layout.tokenWidth()];
        for (int i = 0; i < x.length; i++) x[i] = Half.fromFloat((float) BenchRandom.gaussian(random));
        DeviceBuffer ring = device.allocate(2L * x.length);
        ring.write(x);
        return ring;
    }


}
