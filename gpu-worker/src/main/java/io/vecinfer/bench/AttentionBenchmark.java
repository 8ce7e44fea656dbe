package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.BatchPrefillAttention;
import io.vecinfer.cuda.attention.DecodeAttention;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.attention.PrefillAttention;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.tensor.Half;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the fp16-ring attention kernels on Llama-3.1-8B heads (32 query heads, 8 KV heads, head_dim 128), one layer;
 * prints one JSON object. Its torch peer is gpu-worker/scripts/attention_peer.py (SDPA on the same shapes), to be run
 * in the same session:
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.AttentionBenchmark [--runs 30] [--ctas-per-sm 2,1,4]
 * </pre>
 * {@code --ctas-per-sm} times decode with splits aimed at each of these CTAs per SM (default: DecodeAttention's
 * RESIDENT_CTAS_PER_SM alone, one wave), for tuning that constant on the device at hand.
 * <ul>
 *   <li>prefill: 4096 and 32768 query tokens of one sequence at positions 0.., causal, through each prefill kernel
 *       that runs on the device ({@link PrefillAttention.Kernel}; "prefill" repeats the default's 4096 row). FLOPs count
 *       4·head_dim per (query head, query, key) pair inside the causal mask (2 for q·k, 2 for p·v): 4·128·32·4096·4097/2
 *       = 1.1 TFLOP at 4096; the masked halves of diagonal tiles are not credited.</li>
 *   <li>prefill_batch: a batch's prefill pass, {@value #BATCH_SEQUENCES} sequences of {@value #BATCH_TOKENS} tokens each
 *       with its own ring, causal from 0, through the default kernel: per sequence ({@value #BATCH_SEQUENCES} launches
 *       between the timing events, as the per-sequence path issues them) and in one launch ({@link BatchPrefillAttention},
 *       its tables uploaded before the timing).</li>
 *   <li>decode: one query token at the last position of contexts 32768 and 131072, batch 1 and 8, through the split-KV
 *       kernel and its combine (attention_decode.cu). A batch of 8 is 8 sequences with their own rings, so 8 calls
 *       (16 launches: split + combine each) between the timing events, as the decoder issues them. Bytes count the
 *       keys and values read, 2 · context · 8 heads · 128 · 2 B per sequence; the fraction is of 4.22 TB/s.</li>
 * </ul>
 * Each shape is timed by CUDA events, median over the runs after {@value #WARMUP} warm-up runs. Runs rotate over
 * enough copies of the inputs that the ones a run reads were last touched at least 2 × L2 (50 MB) of traffic earlier,
 * so the L2 does not serve them. Ring contents are a 16 MiB random fp16 block tiled on the device (kernel time does not
 * depend on the values); queries are random.
 */
public final class AttentionBenchmark {
    private static final int QUERY_HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128, WARMUP = 5;
    private static final KvLayout LLAMA = new KvLayout(1, KV_HEADS, QUERY_HEADS, HEAD_DIM);
    private static final long L2_BYTES = 50L << 20;
    private static final double PEAK_BYTES_PER_S = 4.22e12;
    /** Prefill lengths: the 8B e2e rows' 4096 (the summary row: "prefill") and 32768, where attention is most of a prefill. */
    private static final int[] PREFILL_TOKENS = {4096, 32768};
    private static final int[] CONTEXTS = {32768, 131072}, BATCHES = {1, 8};
    /** The batch prefill row: 8 × 1024 tokens, the example of many small launches. */
    private static final int BATCH_SEQUENCES = 8, BATCH_TOKENS = 1024;

    /**
     * The command line: --runs N (at least 10), --ctas-per-sm A,B (decode), --prefill-kernels K1,K2 (names of
     * {@link PrefillAttention.Kernel}, default all), --prefill-tokens N1,N2 (default 4096,32768), --prefill-only (no
     * batch or decode rows: for one kernel's launches under a profiler).
     */
    record Options(int runs, int[] ctasPerSm, List<PrefillAttention.Kernel> prefillKernels, int[] prefillTokens, boolean prefillOnly) {
        static Options parse(String... args) {
            int runs = 30;
            int[] ctasPerSm = {DecodeAttention.RESIDENT_CTAS_PER_SM}, tokens = PREFILL_TOKENS;
            List<PrefillAttention.Kernel> kernels = List.of(PrefillAttention.Kernel.values());
            boolean prefillOnly = false;
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (option.equals("--prefill-only")) {
                    prefillOnly = true;
                    continue;
                }
                if (i + 1 >= args.length) throw new IllegalArgumentException(option + " needs a value");
                String value = args[++i];
                switch (option) {
                    case "--runs" -> runs = Math.max(10, positiveInts(option, value)[0]);
                    case "--ctas-per-sm" -> ctasPerSm = positiveInts(option, value);
                    case "--prefill-tokens" -> tokens = positiveInts(option, value);
                    case "--prefill-kernels" -> kernels = Arrays.stream(value.split(",")).map(name -> kernel(option, name)).toList();
                    default -> throw new IllegalArgumentException("unknown option " + option
                            + " (--runs N, --ctas-per-sm A,B, --prefill-kernels K1,K2, --prefill-tokens N1,N2, --prefill-only)");
                }
            }
            return new Options(runs, ctasPerSm, kernels, tokens, prefillOnly);
        }

        private static int[] positiveInts(String option, String value) {
            int[] values;
            try {
                values = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " takes positive integers, not " + value);
            }
            if (values.length == 0 || Arrays.stream(values).anyMatch(v -> v <= 0)) {
                throw new IllegalArgumentException(option + " takes positive integers, not " + value);
            }
            return values;
        }

        private static PrefillAttention.Kernel kernel(String option, String name) {
            try {
                return PrefillAttention.Kernel.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": no prefill kernel " + name + " (" + Arrays.toString(PrefillAttention.Kernel.values()) + ")");
            }
        }
    }

    public static void main(String[] args) {
        Options options = Options.parse(args);
        int runs = options.runs();
        int[] ctasPerSm = options.ctasPerSm();
        SplittableRandom random = new SplittableRandom(20261201L);
        float scale = (float) (1 / Math.sqrt(HEAD_DIM));
        String prefill, prefillVariants, prefillBatch;
        List<String> decode = new ArrayList<>();
        String deviceName;
        int sms;
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device)) {
            deviceName = device.name();
            sms = device.multiprocessorCount();
            try (DeviceBuffer block = randomHalves(device, random)) {
                List<String> variants = new ArrayList<>();
                PrefillAttention.Kernel chosen = new PrefillAttention(device).kernelFor(HEAD_DIM);
                prefill = null;
                for (PrefillAttention.Kernel kernel : options.prefillKernels()) {
                    if (!kernel.runs(HEAD_DIM, device.computeCapability())) continue;
                    for (int tokens : options.prefillTokens()) {
                        String row = measurePrefill(device, timer, block, random, scale, runs, kernel, tokens);
                        variants.add(row);
                        if (kernel == chosen && tokens == PREFILL_TOKENS[0]) prefill = row;
                    }
                }
                prefillVariants = String.join(",\n  ", variants);
                prefillBatch = options.prefillOnly() ? null : measurePrefillBatch(device, timer, block, random, scale, runs);
                for (int context : options.prefillOnly() ? new int[0] : CONTEXTS) {
                    for (int batch : BATCHES) {
                        for (int perSm : ctasPerSm) decode.add(measureDecode(device, timer, block, random, scale, runs, context, batch, perSm));
                    }
                }
            }
        }
        System.out.println("{\"benchmark\": \"fp16 ring attention: tensor-core prefill, split-KV decode\", \"device\": \"" + deviceName
                + "\", \"multiprocessors\": " + sms + ", \"query_heads\": " + QUERY_HEADS + ", \"kv_heads\": " + KV_HEADS + ", \"head_dim\": " + HEAD_DIM
                + ", \"runs\": " + runs + ",\n \"prefill\": " + prefill + ",\n \"prefill_variants\": [\n  " + prefillVariants + "\n ],\n \"prefill_batch\": " + prefillBatch + ",\n \"decode\": [\n  " + String.join(",\n  ", decode) + "\n]}");
    }

    private static String measurePrefill(CudaDevice device, CudaTimer timer, DeviceBuffer block, SplittableRandom random, float scale, int runs,
                                         PrefillAttention.Kernel kernel, int tokens) {
        long ringBytes = (long) tokens * LLAMA.tokenWidth() * Short.BYTES, qFloats = (long) tokens * QUERY_HEADS * HEAD_DIM;
        long perRun = 2 * ringBytes + 2 * 4 * qFloats; // rings + queries read, output written
        int copies = copiesBeyondL2(perRun);
        PrefillAttention attention = new PrefillAttention(device, kernel);
        List<DeviceBuffer> buffers = new ArrayList<>();
        try {
            DeviceBuffer[] keys = new DeviceBuffer[copies], values = new DeviceBuffer[copies], q = new DeviceBuffer[copies], out = new DeviceBuffer[copies];
            for (int c = 0; c < copies; c++) {
                buffers.add(keys[c] = tiled(device, block, ringBytes));
                buffers.add(values[c] = tiled(device, block, ringBytes));
                buffers.add(q[c] = device.upload(BenchRandom.gaussians(random, Math.toIntExact(qFloats))));
                buffers.add(out[c] = device.allocate(4 * qFloats));
            }
            float[] ms = new float[runs];
            for (int i = 0; i < WARMUP + runs; i++) {
                int c = i % copies;
                timer.start();
                attention.attend(q[c].from(0), keys[c], values[c], LLAMA, tokens, 0, 0, tokens, scale, out[c].from(0), null);
                float t = timer.stopMillis();
                if (i >= WARMUP) ms[i - WARMUP] = t;
            }
            double median = median(ms);
            double flops = 4.0 * HEAD_DIM * QUERY_HEADS * ((double) tokens * (tokens + 1) / 2);
            return String.format(Locale.ROOT, "{\"tokens\": %d, \"batch\": 1, \"causal\": true, \"kernel\": \"%s\", \"input_copies\": %d, \"median_ms\": %.4f,"
                    + " \"min_ms\": %.4f, \"max_ms\": %.4f, \"flops\": %.4e, \"tflop_per_s\": %.1f}", tokens, kernel, copies, median, ms[0], ms[runs - 1], flops,
                    flops / median / 1e9);
        } finally {
            buffers.forEach(DeviceBuffer::close);
        }
    }

    private static String measureDecode(CudaDevice device, CudaTimer timer, DeviceBuffer block, SplittableRandom random, float scale, int runs,
                                        int context, int batch, int ctasPerSm) {
        long ringBytes = (long) context * LLAMA.tokenWidth() * Short.BYTES, kvBytes = 2 * ringBytes * batch;
        int copies = copiesBeyondL2(kvBytes);
        int start = context - 1; // the new token's position: it attends positions 0..context-1
        DecodeAttention.Plan plan = DecodeAttention.plan(LLAMA, start, 1, 0, device.multiprocessorCount(), ctasPerSm);
        List<DeviceBuffer> buffers = new ArrayList<>();
        try (DecodeAttention attention = new DecodeAttention(device)) {
            DeviceBuffer[][] keys = new DeviceBuffer[copies][batch], values = new DeviceBuffer[copies][batch];
            for (int c = 0; c < copies; c++) {
                for (int b = 0; b < batch; b++) {
                    buffers.add(keys[c][b] = tiled(device, block, ringBytes));
                    buffers.add(values[c][b] = tiled(device, block, ringBytes));
                }
            }
            int rowFloats = QUERY_HEADS * HEAD_DIM;
            DeviceBuffer q = device.upload(BenchRandom.gaussians(random, batch * rowFloats));
            buffers.add(q);
            DeviceBuffer out = device.allocate(4L * batch * rowFloats), lse = device.allocate(4L * batch * QUERY_HEADS);
            buffers.add(out);
            buffers.add(lse);
            float[] ms = new float[runs];
            for (int i = 0; i < WARMUP + runs; i++) {
                int c = i % copies;
                timer.start();
                for (int b = 0; b < batch; b++) {
                    attention.attend(plan, q.from((long) b * rowFloats), keys[c][b], values[c][b], LLAMA, context, 0, start, 1, scale,
                            out.from((long) b * rowFloats), lse.from((long) b * QUERY_HEADS));
                }
                float t = timer.stopMillis();
                if (i >= WARMUP) ms[i - WARMUP] = t;
            }
            double median = median(ms);
            return String.format(Locale.ROOT, "{\"context\": %d, \"batch\": %d, \"launches\": \"%d x (split + combine)\", \"ctas_per_sm_target\": %d, \"splits\": %d,"
                            + " \"split_positions\": %d, \"ctas_per_launch\": %d, \"input_copies\": %d, \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f,"
                            + " \"kv_bytes\": %d, \"tb_per_s\": %.3f, \"fraction_of_4_22_tb_per_s\": %.3f}",
                    context, batch, batch, ctasPerSm, plan.splits(), plan.splitPositions(), plan.ctas(LLAMA), copies, median, ms[0], ms[runs - 1], kvBytes,
                    kvBytes / median / 1e9, kvBytes / (median / 1e3) / PEAK_BYTES_PER_S);
        } finally {
            buffers.forEach(DeviceBuffer::close);
        }
    }

    /** Copies of a run's inputs so that, rotating over them, the other copies' traffic since a copy's last use is ≥ 2 × L2. */
    private static String measurePrefillBatch(CudaDevice device, CudaTimer timer, DeviceBuffer block, SplittableRandom random, float scale, int runs) {
        int n = BATCH_SEQUENCES, tokens = BATCH_TOKENS, rowFloats = QUERY_HEADS * HEAD_DIM;
        long ringBytes = (long) tokens * LLAMA.tokenWidth() * Short.BYTES;
        List<Fp16KvRing> rings = new ArrayList<>();
        PrefillAttention single = new PrefillAttention(device);
        int[] starts = new int[n], counts = new int[n];
        Arrays.fill(counts, tokens);
        try (DeviceBuffer q = device.upload(BenchRandom.gaussians(random, n * tokens * rowFloats)); DeviceBuffer out = device.allocate(4L * n * tokens * rowFloats);
             BatchPrefillAttention batch = new BatchPrefillAttention(device, LLAMA)) {
            for (int s = 0; s < n; s++) {
                Fp16KvRing ring = new Fp16KvRing(device, LLAMA, tokens);
                rings.add(ring);
                for (long at = 0; at < ringBytes; at += BLOCK_BYTES) {
                    ring.keys(0).copyFrom(block, 0, at, Math.min(BLOCK_BYTES, ringBytes - at));
                    ring.values(0).copyFrom(block, 0, at, Math.min(BLOCK_BYTES, ringBytes - at));
                }
            }
            batch.prepare(rings, starts, counts);
            float[] perSequence = new float[runs], batched = new float[runs];
            for (int i = 0; i < WARMUP + runs; i++) {
                timer.start();
                for (int s = 0; s < n; s++) {
                    long row = (long) s * tokens * rowFloats;
                    single.attend(q.from(row), rings.get(s).keys(0), rings.get(s).values(0), LLAMA, tokens, 0, 0, tokens, scale, out.from(row), null);
                }
                float a = timer.stopMillis();
                timer.start();
                batch.attend(0, q.from(0), scale, out.from(0), null);
                float b = timer.stopMillis();
                if (i >= WARMUP) {
                    perSequence[i - WARMUP] = a;
                    batched[i - WARMUP] = b;
                }
            }
            return String.format(Locale.ROOT, "{\"sequences\": %d, \"tokens\": %d, \"causal\": true, \"kernel\": \"%s\", \"per_sequence_median_ms\": %.4f,"
                    + " \"batch_median_ms\": %.4f}", n, tokens, batch.kernel(), median(perSequence), median(batched));
        } finally {
            rings.forEach(Fp16KvRing::close);
        }
    }

    private static int copiesBeyondL2(long bytesPerRun) {
        return (int) Math.max(2, 1 + (2 * L2_BYTES + bytesPerRun - 1) / bytesPerRun);
    }

    private static final long BLOCK_BYTES = 16L << 20;

    private static DeviceBuffer randomHalves(CudaDevice device, SplittableRandom random) {
        short[] h = new short[(int) (BLOCK_BYTES / Short.BYTES)];
        for (int i = 0; i < h.length; i++) h[i] = Half.fromFloat((float) (random.nextDouble() * 2 - 1));
        DeviceBuffer b = device.allocate(BLOCK_BYTES);
        b.write(h);
        return b;
    }

    /** A buffer of {@code bytes} holding the random block over and over (device-to-device copies). */
    private static DeviceBuffer tiled(CudaDevice device, DeviceBuffer block, long bytes) {
        DeviceBuffer b = device.allocate(bytes);
        for (long at = 0; at < bytes; at += BLOCK_BYTES) b.copyFrom(block, 0, at, Math.min(BLOCK_BYTES, bytes - at));
        return b;
    }


    private static double median(float[] ms) {
        Arrays.sort(ms);
        int n = ms.length;
        return n % 2 == 1 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2.0;
    }
}
