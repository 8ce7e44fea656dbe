package io.vecinfer.bench;

import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.tensor.DotKernel;
import io.vecinfer.tensor.Parallel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * CPU prefill and decode throughput of the decoder on a checkpoint, fp32 KV cache.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp gpu-worker.jar:deps io.vecinfer.bench.DecoderBenchmark \
 *       --compare datasets/reference-model docs/results/cpu-decoder-benchmark.json
 * </pre>
 * {@code --compare} runs each variant in its own JVM, one after the other in this one run: the plain
 * scalar loops on one thread, the scalar loops on every core, and the Vector API on every core. The
 * variant is chosen by -Dvecinfer.vector and -Dvecinfer.threads, read once per JVM.
 */
public final class DecoderBenchmark {
    private static final int PROMPT = 512, DECODE = 64, BATCH = 4, REPEATS = 3;

    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("--compare")) {
            compare(Path.of(args[1]), args.length > 2 ? Path.of(args[2]) : null);
        } else {
            System.out.println(measure(Path.of(args[0])));
        }
    }

    /** One variant in this JVM: prints one JSON object. */
    static String measure(Path modelFolder) {
        try (Model model = Model.load(modelFolder)) {
            Decoder decoder = new Decoder(model);
            KvCacheFactory fp32 = DenseKvCache.factory(DenseKvCache.Precision.FP32);
            SplittableRandom random = new SplittableRandom(1);
            int[] prompt = random.ints(PROMPT, 3, model.config().vocabSize()).toArray();
            double[] prefill = new double[REPEATS], decode = new double[REPEATS];
            for (int rep = -1; rep < REPEATS; rep++) { // rep -1 warms the JIT up
                Sequence<KvCache> one = new Sequence<>(fp32.create(model.kvLayout()));
                long t0 = System.nanoTime();
                decoder.forwardLast(List.of(one), List.of(prompt));
                long t1 = System.nanoTime();
                List<Sequence<KvCache>> batch = new ArrayList<>();
                List<int[]> prompts = new ArrayList<>();
                for (int b = 0; b < BATCH; b++) {
                    batch.add(new Sequence<>(fp32.create(model.kvLayout())));
                    prompts.add(Arrays.copyOf(prompt, 64));
                }
                decoder.forwardLast(batch, prompts);
                long t2 = System.nanoTime();
                for (int step = 0; step < DECODE; step++) {
                    List<int[]> next = new ArrayList<>();
                    for (int b = 0; b < BATCH; b++) next.add(new int[]{random.nextInt(3, model.config().vocabSize())});
                    decoder.forwardLast(batch, next);
                }
                long t3 = System.nanoTime();
                if (rep >= 0) {
                    prefill[rep] = PROMPT / ((t1 - t0) / 1e9);
                    decode[rep] = BATCH * DECODE / ((t3 - t2) / 1e9);
                }
            }
            Arrays.sort(prefill);
            Arrays.sort(decode);
            boolean vector = DotKernel.best() != io.vecinfer.tensor.ScalarDotKernel.INSTANCE;
            return String.format(java.util.Locale.ROOT,
                    "{\"vector_api\": %b, \"threads\": %d, \"prefill_tokens_per_s\": %.1f, \"decode_tokens_per_s\": %.1f}",
                    vector, Parallel.threads(), prefill[REPEATS / 2], decode[REPEATS / 2]);
        }
    }

    private static void compare(Path modelFolder, Path output) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        String[][] variants = {{"false", "1"}, {"false", String.valueOf(cores)}, {"true", String.valueOf(cores)}};
        List<String> results = new ArrayList<>();
        for (String[] v : variants) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules=jdk.incubator.vector", "-Dvecinfer.vector=" + v[0], "-Dvecinfer.threads=" + v[1],
                    "-cp", System.getProperty("java.class.path"), DecoderBenchmark.class.getName(), modelFolder.toString()));
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String line;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
                line = out.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
            }
            if (process.waitFor() != 0) throw new IllegalStateException("benchmark variant failed: " + command);
            System.out.println(line);
            results.add(line);
        }
        String json = "{\n \"what\": \"decoder prefill (batch 1, " + PROMPT + " tokens) and decode (batch " + BATCH
                + ", " + DECODE + " steps after 64-token prompts) tokens/s, fp32 KV cache, median of " + REPEATS + "\",\n"
                + " \"model\": \"" + modelFolder + "\",\n \"date\": \"" + Instant.now() + "\",\n"
                + " \"cpu\": \"" + cpuName() + ", " + cores + " cores\",\n \"java\": \"" + System.getProperty("java.version") + "\",\n"
                + " \"command\": \"java -cp <gpu-worker classpath> io.vecinfer.bench.DecoderBenchmark --compare " + modelFolder
                + (output == null ? "" : " " + output) + "\",\n"
                + " \"variants\": [\n  " + String.join(",\n  ", results) + "\n ]\n}\n";
        if (output != null) Files.writeString(output, json);
        System.out.print(json);
    }

    private static String cpuName() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }
}
