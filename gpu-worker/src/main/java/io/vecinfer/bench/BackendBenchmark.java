package io.vecinfer.bench;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceKvCaches;
import io.vecinfer.cuda.decoder.DeviceVqMethod;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.VqKvCache;
import io.vecinfer.tensor.Parallel;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The evaluation path's speed on each backend, side by side in one run: the CPU decoder and the CUDA decoder
 * on the same checkpoint, with the fp16 cache and with VecInfer 2-bit (d4b8, R = 128). Prefill: one sequence
 * of {@value #PROMPT} tokens; decode: {@value #BATCH} sequences of {@value #CONTEXT} tokens, {@value #STEPS}
 * steps. Medians of {@value #REPEATS} after a warm-up; wall clock around whole forward calls (the CUDA
 * decoder returns after downloading logits, so its work is done).
 * <pre>
 *   java -cp ... io.vecinfer.bench.BackendBenchmark datasets/reference-model [datasets/calibration/calibration.jsonl]
 * </pre>
 */
public final class BackendBenchmark {
    private static final int PROMPT = 2048, CONTEXT = 1024, BATCH = 8, STEPS = 32, REPEATS = 3;

    public static void main(String[] args) {
        Path folder = Path.of(args[0]);
        Path calibrationText = Path.of(args.length > 1 ? args[1] : "datasets/calibration/calibration.jsonl");
        List<String> rows = new ArrayList<>();
        try (Model model = Model.load(folder); CudaDevice device = CudaDevice.open(0)) {
            VqSpec vecinfer = (VqSpec) MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,r=128");
            CodebookSet books = Calibrator.calibrate(model, Tokenizer.load(folder.resolve("tokenizer.json")), vecinfer,
                    new Calibrator.Settings(calibrationText, 4, 512, 8, 0));
            Decoder cpu = new Decoder(model);
            try (CudaDecoder gpu = new CudaDecoder(model, device); DeviceVqMethod onDevice = new DeviceVqMethod(device, books)) {
                rows.add(measure(cpu, "fp16", DenseKvCache.factory(DenseKvCache.Precision.FP16), model));
                rows.add(measure(gpu, "fp16", DeviceKvCaches.fp16(device), model));
                rows.add(measure(cpu, vecinfer.spec(), VqKvCache.factory(books, AttentionPath.LOOKUP_TABLE), model));
                rows.add(measure(gpu, vecinfer.spec(), onDevice, model));
            }
            System.out.printf(Locale.ROOT, "{\"benchmark\": \"decoder backends\", \"model\": \"%s\", \"device\": \"%s\", \"cpu_threads\": %d,"
                            + " \"date\": \"%s\", \"prefill_tokens\": %d, \"decode_batch\": %d, \"decode_context\": %d, \"decode_steps\": %d,"
                            + " \"results\": [%n  %s%n]}%n", model.name(), device, Parallel.threads(), Instant.now(), PROMPT, BATCH, CONTEXT, STEPS,
                    String.join(",\n  ", rows));
        }
    }

    private static String measure(DecoderBackend decoder, String method, KvCacheFactory caches, Model model) {
        SplittableRandom random = new SplittableRandom(7);
        int vocab = model.config().vocabSize();
        double[] prefill = new double[REPEATS], decode = new double[REPEATS];
        for (int rep = -1; rep < REPEATS; rep++) { // rep -1 warms up (JIT, module loads, allocations)
            try (Sequence one = new Sequence(caches.create(model.kvLayout()))) {
                long t0 = System.nanoTime();
                decoder.forwardLast(List.of(one), List.of(random.ints(PROMPT, 3, vocab).toArray()));
                if (rep >= 0) prefill[rep] = PROMPT / ((System.nanoTime() - t0) / 1e9);
            }
            List<Sequence> batch = new ArrayList<>();
            try {
                List<int[]> prompts = new ArrayList<>();
                for (int b = 0; b < BATCH; b++) {
                    batch.add(new Sequence(caches.create(model.kvLayout())));
                    prompts.add(random.ints(CONTEXT, 3, vocab).toArray());
                }
                decoder.forwardLast(batch, prompts);
                long t0 = System.nanoTime();
                for (int step = 0; step < STEPS; step++) {
                    List<int[]> next = new ArrayList<>();
                    for (int b = 0; b < BATCH; b++) next.add(new int[]{random.nextInt(3, vocab)});
                    decoder.forwardLast(batch, next);
                }
                if (rep >= 0) decode[rep] = BATCH * STEPS / ((System.nanoTime() - t0) / 1e9);
            } finally {
                Sequence.closeAll(batch);
            }
        }
        Arrays.sort(prefill);
        Arrays.sort(decode);
        return String.format(Locale.ROOT, "{\"backend\": \"%s\", \"method\": \"%s\", \"prefill_tokens_per_s\": %.1f, \"decode_tokens_per_s\": %.1f}",
                decoder.backend(), method, prefill[REPEATS / 2], decode[REPEATS / 2]);
    }
}
