package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.kivi.KiviAttentionKernel;
import io.vecinfer.cuda.kivi.KiviEncodeKernel;
import io.vecinfer.cuda.kivi.KiviLayout;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.tensor.Half;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Decode-step time of KIVI's fused-dequantization attention (kivi_attention, the encoded part only; the fp16 window and
 * the merge are other kernels) on Llama-3.1-8B heads (32 query heads, 8 KV heads, head_dim 128), one layer, one query
 * token at the last position of one sequence, and the time of kivi_encode for the whole context in one launch (a 32k
 * prompt under prefill=exact). Codes and parameters come from encoding random fp16 keys and values, so the attention
 * reads real ones. Median of CUDA-event times after warm-up; prints JSON. Bytes read count the codes as stored (one byte
 * per element) and the float parameters:
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.KiviAttentionBenchmark [--contexts 32768,131072] [--runs 20] [--method kivi:k=b2g128,v=b2g128,r=128]
 * </pre>
 */
public final class KiviAttentionBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, WARMUP = 3;

    public static void main(String[] args) {
        int[] contexts = {32768, 131072};
        int runs = 20;
        String method = "kivi:k=b2g128,v=b2g128,r=128";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--contexts" -> contexts = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--runs" -> runs = Math.max(5, Integer.parseInt(args[i + 1]));
                case "--method" -> method = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--contexts A,B, --runs N, --method SPEC)");
            }
        }
        KiviSpec spec = (KiviSpec) MethodSpec.parse(method);
        KvLayout kv = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
        SplittableRandom random = new SplittableRandom(20261202L);
        List<String> rows = new ArrayList<>();
        String deviceName;
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device)) {
            deviceName = device.name();
            for (int context : contexts) rows.add(measure(device, timer, spec, kv, context, runs, random));
        }
        System.out.println("{\"benchmark\": \"kivi_attention decode (fused dequantization) and kivi_encode of the context\", \"device\": \""
                + deviceName + "\", \"method\": \"" + spec.spec() + "\", \"query_heads\": " + QUERY_HEADS + ", \"kv_heads\": " + KV_HEADS
                + ", \"head_dim\": " + HEAD_DIM + ", \"runs\": " + runs + ", \"results\": [\n  " + String.join(",\n  ", rows) + "\n]}");
    }

    private static String measure(CudaDevice device, CudaTimer timer, KiviSpec spec, KvLayout kv, int context, int runs, SplittableRandom random) {
        int encoded = (int) ResidualWindow.compressedTokens(context, spec.window());
        KiviLayout l = KiviLayout.of(spec, kv, encoded);
        float[] q = new float[QUERY_HEADS * HEAD_DIM];
        for (int i = 0; i < q.length; i++) q[i] = (float) gaussian(random);
        float[] attend = new float[runs], encode = new float[runs];
        float scale = (float) (1 / Math.sqrt(HEAD_DIM));
        try (DeviceBuffer keys = fp16(device, encoded * kv.tokenWidth(), random); DeviceBuffer values = fp16(device, encoded * kv.tokenWidth(), random);
             DeviceBuffer kc = device.allocate(l.codeBytes()); DeviceBuffer vc = device.allocate(l.codeBytes());
             DeviceBuffer kp = device.allocate(4 * l.keyParamFloats()); DeviceBuffer vp = device.allocate(4 * l.valueParamFloats());
             DeviceBuffer qs = device.upload(q); DeviceBuffer o = device.allocate(4L * q.length); DeviceBuffer lse = device.allocate(4L * QUERY_HEADS)) {
            KiviEncodeKernel encoder = new KiviEncodeKernel(device);
            KiviAttentionKernel attention = new KiviAttentionKernel(device);
            KiviEncodeKernel.Storage storage = new KiviEncodeKernel.Storage(l, kc, vc, kp, vp);
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                encoder.launch(keys, values, encoded, 0, 0, encoded, storage);
                float t = timer.stopMillis();
                if (i >= WARMUP) encode[i - WARMUP] = t;
            }
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                attention.launch(storage, 0, qs.from(0), context - 1, 1, QUERY_HEADS, scale, o, lse);
                float t = timer.stopMillis();
                if (i >= WARMUP) attend[i - WARMUP] = t;
            }
        }
        double attendMs = median(attend), encodeMs = median(encode);
        long bytes = 2 * (long) encoded * kv.tokenWidth() + 4 * (l.keyParamFloats() + l.valueParamFloats());
        return String.format(Locale.ROOT, "{\"context\": %d, \"encoded_tokens\": %d, \"attend_median_ms\": %.4f, \"bytes_read\": %d,"
                        + " \"gb_per_s\": %.1f, \"encode_median_ms\": %.3f, \"encode_tokens_per_s\": %.4g}",
                context, encoded, attendMs, bytes, bytes / attendMs / 1e6, encodeMs, encoded / (encodeMs / 1e3));
    }

    private static double median(float[] ms) {
        float[] s = ms.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static DeviceBuffer fp16(CudaDevice device, int count, SplittableRandom random) {
        short[] x = new short[count];
        for (int i = 0; i < count; i++) x[i] = Half.fromFloat((float) gaussian(random));
        DeviceBuffer b = device.allocate(2L * count);
        b.write(x);
        return b;
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
