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
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static io.vecinfer.bench.BenchArgs.ints;
import static io.vecinfer.bench.TimedRuns.median;

/**
 * Decode-step time of KIVI's split-KV fused-dequantization attention (kivi_attention and its split merge; the encoded
 * part only: the fp16 window and its merge are other kernels) on Llama-3.1-8B heads (32 query heads, 8 KV heads,
 * head_dim 128), one layer, one query token per sequence at the last position, for each batch and context; and the time
 * of kivi_encode for 32k tokens of one sequence in one launch (a prompt under prefill=exact). Codes and parameters
 * come from encoding random fp16 keys and values (32k tokens, repeated along each context and into every sequence's
 * slot), so the attention
 * reads real ones; the slots are rotated over copies whose bytes exceed 2 × L2, so the L2 does not serve them. Median of
 * CUDA-event times after warm-up; prints JSON rows in the form gpu-worker/scripts/vq_rows.py joins with the SDPA peer
 * (method, batch, context, ours_ms, bytes_read: packed codes and float parameters as the device holds them):
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.KiviAttentionBenchmark [--batches 1,8,32] [--contexts 32768,131072] [--runs 20]
 *        [--method kivi:k=b2g128,v=b2g128,r=128]
 * </pre>
 */
public final class KiviAttentionBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, WARMUP = 3;
    private static final long L2_BYTES = 50L << 20;
    /** Tokens of the random fp16 context that is encoded over and over (positions p read slot p % RING). */
    private static final int RING = 32768;
    private static final double COPY_CEILING_BYTES_PER_S = 4.22e12;

    public static void main(String[] args) {
        int[] batches = {1, 8, 32}, contexts = {32768, 131072};
        int runs = 20;
        String method = "kivi:k=b2g128,v=b2g128,r=128";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--batches" -> batches = ints(args[i + 1]);
                case "--contexts" -> contexts = ints(args[i + 1]);
                case "--runs" -> runs = Math.max(5, Integer.parseInt(args[i + 1]));
                case "--method" -> method = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--batches A,B, --contexts A,B, --runs N, --method SPEC)");
            }
        }
        KiviSpec spec = (KiviSpec) MethodSpec.parse(method);
        SplittableRandom random = new SplittableRandom(20261202L);
        List<String> rows = new ArrayList<>();
        String deviceName;
        KvLayout kv = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device); KiviAttentionKernel attention = new KiviAttentionKernel(device);
             DeviceBuffer keys = fp16(device, RING * kv.tokenWidth(), random); DeviceBuffer values = fp16(device, RING * kv.tokenWidth(), random)) {
            deviceName = device.name();
            for (int context : contexts) {
                for (int batch : batches) {
                    rows.add(measure(device, timer, attention, keys, values, spec, batch, context, runs, random));
                    System.err.println("done batch " + batch + " context " + context);
                }
            }
        }
        System.out.println("{\"benchmark\": \"kivi_attention decode (split-KV, packed codes, fused dequantization) and kivi_encode of the context\", \"device\": \""
                + deviceName + "\", \"query_heads\": " + QUERY_HEADS + ", \"kv_heads\": " + KV_HEADS + ", \"head_dim\": " + HEAD_DIM + ", \"runs\": " + runs
                + ", \"rows\": [\n  " + String.join(",\n  ", rows) + "\n]}");
    }

    private static String measure(CudaDevice device, CudaTimer timer, KiviAttentionKernel attention, DeviceBuffer keys, DeviceBuffer values,
                                  KiviSpec spec, int batch, int context, int runs, SplittableRandom random) {
        KvLayout kv = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
        int encoded = (int) ResidualWindow.compressedTokens(context, spec.window());
        long perSequence = KiviLayout.of(spec, kv, encoded).deviceBytes(encoded);
        int copies = (int) Math.max(1, Math.min(16, (2 * L2_BYTES + (long) batch * perSequence - 1) / ((long) batch * perSequence) + 1));
        KiviLayout one = KiviLayout.of(spec, kv, encoded);
        KiviLayout l = new KiviLayout(batch * copies, KV_HEADS, HEAD_DIM, one.capacity(), one.window(), one.keyGroup(), one.valueGroup(),
                one.keyBits(), one.valueBits());
        float[] q = new float[batch * QUERY_HEADS * HEAD_DIM];
        for (int i = 0; i < q.length; i++) q[i] = (float) BenchRandom.gaussian(random);
        float[] attend = new float[runs], encode = new float[runs];
        float scale = (float) (1 / Math.sqrt(HEAD_DIM));
        KiviAttentionKernel.Plan plan = KiviAttentionKernel.plan(l, QUERY_HEADS, batch, encoded, device.multiprocessorCount());
        int ring = RING / spec.window() * spec.window(), timed = Math.min(encoded, ring);
        try (DeviceBuffer kc = device.allocate(4 * l.keyCodeWords()); DeviceBuffer vc = device.allocate(4 * l.valueCodeWords());
             DeviceBuffer kp = device.allocate(4 * l.keyParamFloats()); DeviceBuffer vp = device.allocate(4 * l.valueParamFloats());
             DeviceBuffer qs = device.upload(q); DeviceBuffer o = device.allocate(4L * q.length); DeviceBuffer lse = device.allocate(4L * batch * QUERY_HEADS)) {
            KiviEncodeKernel encoder = new KiviEncodeKernel(device);
            KiviEncodeKernel.Storage storage = new KiviEncodeKernel.Storage(l, kc, vc, kp, vp);
            for (int i = 0; i < WARMUP + runs; i++) { // up to 32k tokens of slot 0 in one launch, timed
                timer.start();
                encoder.launch(keys, values, ring, 0, 0, timed, storage);
                float t = timer.stopMillis();
                if (i >= WARMUP) encode[i - WARMUP] = t;
            }
            for (int slot = 0; slot < l.layers(); slot++) {
                for (int from = 0; from < encoded; from += ring) encoder.launch(keys, values, ring, slot, from, Math.min(encoded, from + ring), storage);
            }
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                attention.launch(storage, i % copies, copies, batch, qs.from(0), context - 1, 1, QUERY_HEADS, scale, o, lse);
                float t = timer.stopMillis();
                if (i >= WARMUP) attend[i - WARMUP] = t;
            }
        }
        double attendMs = median(attend), encodeMs = median(encode);
        long bytes = batch * perSequence + 4L * q.length;
        return String.format(Locale.ROOT, "{\"method\": \"%s\", \"kernel\": \"kivi_attention\", \"variant\": \"split\", \"batch\": %d, \"context\": %d,"
                        + " \"compressed_tokens\": %d, \"splits\": %d, \"split_positions\": %d, \"code_copies\": %d, \"ours_ms\": %.4f, \"bytes_read\": %d,"
                        + " \"tb_per_s\": %.3f, \"fraction_of_copy_ceiling\": %.3f, \"encode_tokens\": %d, \"encode_ms\": %.3f, \"encode_tokens_per_s\": %.4g}",
                spec.spec(), batch, context, encoded, plan.splits(), plan.splitPositions(), copies, attendMs, bytes, bytes / attendMs / 1e9,
                bytes / (attendMs / 1e3) / COPY_CEILING_BYTES_PER_S, timed, encodeMs, timed / (encodeMs / 1e3));
    }

    private static DeviceBuffer fp16(CudaDevice device, int count, SplittableRandom random) {
        short[] x = new short[count];
        for (int i = 0; i < count; i++) x[i] = Half.fromFloat((float) BenchRandom.gaussian(random));
        DeviceBuffer b = device.allocate(2L * count);
        b.write(x);
        return b;
    }

}
