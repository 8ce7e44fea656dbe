package io.vecinfer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceKvCaches;
import io.vecinfer.cuda.decoder.TensorCoreTolerance;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.Sampling;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SequenceCache;
import io.vecinfer.model.Model;
import io.vecinfer.safetensors.SafeTensorsFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The CUDA decoder (default, tensor-core projections; fp16 device KV cache) against transformers run in the
 * checkpoint's dtype (transformers_parity_peer.py, which writes the prompts' ids and transformers' logits of every
 * position) and against the fp32 CPU decoder (fp32 KV cache, the oracle), on the family fixtures and the shipped
 * model; then greedy continuations of the CPU and CUDA decoders from the same prompts, checked by
 * {@link GreedyAgreement}. One JSON file:
 * <pre>
 *   java --add-modules=jdk.incubator.vector -cp ... io.vecinfer.bench.TransformersParity --peer /tmp/parity-peer \
 *       --out transformers-parity-h200.json [--repo .] [--steps 64] [--command "..."] [--commit abc123] [--backend cuda|cpu]
 * </pre>
 * {@code --backend cpu} puts the CPU decoder (fp16 KV cache) in the CUDA decoder's place: a check of this harness
 * without a GPU. Exits 1 when a greedy rule fails or the CUDA decoder leaves {@link TensorCoreTolerance}'s bound.
 */
public final class TransformersParity<C extends SequenceCache> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KvCacheFactory CPU_FP32 = DenseKvCache.factory(DenseKvCache.Precision.FP32);

    private final DecoderBackend<C> tested;
    private final CacheFactory<C> testedCaches;
    private final Decoder oracle;
    private final KvLayout layout;
    private final int steps;
    private boolean failed;

    private TransformersParity(Model model, DecoderBackend<C> tested, CacheFactory<C> testedCaches, int steps) {
        this.tested = tested;
        this.testedCaches = testedCaches;
        this.oracle = new Decoder(model);
        this.layout = model.kvLayout();
        this.steps = steps;
    }

    public static void main(String[] args) throws Exception {
        Path peer = null, out = null, repo = Path.of(".");
        int steps = 64;
        String command = null, commit = null;
        boolean cuda = true;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--peer" -> peer = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--repo" -> repo = Path.of(value);
                case "--steps" -> steps = Integer.parseInt(value);
                case "--command" -> command = value;
                case "--commit" -> commit = value;
                case "--backend" -> cuda = switch (value) {
                    case "cuda" -> true;
                    case "cpu" -> false;
                    default -> throw new IllegalArgumentException("--backend cuda|cpu, not " + value);
                };
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--peer --out --repo --steps --command --commit --backend)");
            }
        }
        if (peer == null || out == null) throw new IllegalArgumentException("--peer and --out are required");
        JsonNode listing = JSON.readTree(Files.readString(peer.resolve("prompts.json")));
        ObjectNode result = header(listing, command, commit, steps);
        ArrayNode rows = result.putArray("rows");
        boolean failed = false;
        long start = System.nanoTime();
        try (CudaDevice device = cuda ? CudaDevice.open(0) : null) {
            result.put("device", cuda ? "cuda:0 (" + device.name() + ")" : "cpu (harness check, no GPU)");
            for (JsonNode entry : listing.get("models")) {
                String name = entry.get("name").asText();
                try (Model model = Model.load(repo.resolve(entry.get("checkpoint").asText()));
                     SafeTensorsFile theirs = SafeTensorsFile.open(peer.resolve(name + ".safetensors"))) {
                    TransformersParity<?> parity = cuda ? new TransformersParity<>(model, new CudaDecoder(model, device), DeviceKvCaches.fp16(device), steps)
                            : new TransformersParity<>(model, new Decoder(model), DenseKvCache.factory(DenseKvCache.Precision.FP16), steps);
                    try {
                        ObjectNode row = parity.model(entry, theirs, model.config().vocabSize());
                        rows.add(row);
                        failed |= parity.failed;
                        System.out.println(summary(row));
                    } finally {
                        if (parity.tested instanceof AutoCloseable closeable) closeable.close();
                    }
                } catch (RuntimeException e) {
                    // One model failing leaves the others' rows; the file says which and why.
                    rows.addObject().put("name", name).put("error", e.toString());
                    failed = true;
                    e.printStackTrace();
                }
                write(result, out);
            }
        }
        result.put("seconds", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
        result.put("pass", !failed);
        write(result, out);
        System.out.println((failed ? "FAIL" : "pass") + ", " + result.get("seconds") + " s: " + out);
        if (failed) System.exit(1);
    }

    private static ObjectNode header(JsonNode listing, String command, String commit, int steps) {
        ObjectNode result = JSON.createObjectNode();
        result.put("what", "CudaDecoder (default TENSOR_CORES projections, fp16 device KV cache) against transformers in the"
                + " checkpoint's dtype and against the fp32 CPU decoder (fp32 KV cache, the oracle), teacher-forced over"
                + " every prompt position; then " + steps + "-token greedy continuations, CPU against CUDA");
        result.put("command", command);
        result.put("date", Instant.now().toString());
        result.put("commit", commit);
        result.put("transformers", listing.path("transformers").asText());
        result.put("torch", listing.path("torch").asText());
        result.put("transformers_device", listing.path("device").asText());
        result.put("attn_implementation", listing.path("attn_implementation").asText());
        result.put("bound_cuda_vs_cpu", TensorCoreTolerance.RELATIVE);
        ObjectNode notes = result.putObject("notes");
        notes.put("max_abs_dlogit_over_max_abs_logit", "max over positions and vocabulary of |Δlogit|, over max |reference logit|"
                + " (transformers' for the main fields, the CPU decoder's in cuda_vs_cpu_fp32 and transformers_vs_cpu_fp32)");
        notes.put("bound_cuda_vs_cpu", "TensorCoreTolerance.RELATIVE, derived in its Javadoc; within_bound says whether cuda_vs_cpu_fp32 keeps it");
        notes.put("greedy", "each decoder feeds its own argmax; per step: the CPU's top-two gap and max |Δlogit| (null once the"
                + " tokens have diverged). must_agree steps = up to the first step whose gap ≤ 2 × observed_max_dlogit (the"
                + " largest step difference while inputs were the same); holds: identical there. With that bound the rule"
                + " checks bookkeeping only (a divergence makes its own step ambiguous); prefill_bound_* uses the"
                + " teacher-forced prompt difference instead, a prediction");
        return result;
    }

    /** One model's row: every prompt teacher-forced on three decoders, then each prompt's greedy continuations. */
    private ObjectNode model(JsonNode entry, SafeTensorsFile theirs, int vocab) {
        LogitComparison cudaVsTransformers = new LogitComparison(), cudaVsCpu = new LogitComparison(), transformersVsCpu = new LogitComparison();
        ObjectNode row = JSON.createObjectNode();
        row.put("name", entry.get("name").asText());
        row.put("checkpoint", entry.get("checkpoint").asText());
        String dtype = entry.get("dtype").asText();
        row.put("dtype", dtype);
        row.put("transformers_logits_dtype", entry.path("logits_dtype").asText());
        row.put("cuda_projections", dtype.equals("float32") ? "exact fp32 (fp32 checkpoint)" : "tensor cores, activations rounded to " + dtype);
        ArrayNode lengths = row.putArray("prompt_lengths");
        ArrayNode greedy = JSON.createArrayNode();
        JsonNode prompts = entry.get("prompts");
        List<float[][]> lastRows = new ArrayList<>();
        List<Pair<C>> sequences = new ArrayList<>();
        try {
            for (int p = 0; p < prompts.size(); p++) {
                int[] ids = ids(prompts.get(p));
                lengths.add(ids.length);
                float[] flat = theirs.readFloats("logits." + p);
                if (flat.length != ids.length * vocab) {
                    throw new IllegalStateException(entry.get("name") + " prompt " + p + ": " + flat.length + " transformers logits, not "
                            + ids.length + " × " + vocab);
                }
                Pair<C> pair = new Pair<>(); // listed first, so the finally below closes whatever was created
                sequences.add(pair);
                pair.cpu = new Sequence<>(CPU_FP32.create(layout));
                pair.ours = new Sequence<>(testedCaches.create(layout));
                float[][] cpu = oracle.forwardAll(List.of(pair.cpu), List.of(ids));
                float[][] ours = tested.forwardAll(List.of(pair.ours), List.of(ids));
                for (int r = 0; r < ids.length; r++) {
                    float[] transformers = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
                    cudaVsTransformers.add(transformers, ours[r]);
                    cudaVsCpu.add(cpu[r], ours[r]);
                    transformersVsCpu.add(cpu[r], transformers);
                }
                lastRows.add(new float[][]{cpu[ids.length - 1], ours[ids.length - 1]});
            }
            row.put("positions_compared", cudaVsTransformers.positions());
            putComparison(row, cudaVsTransformers);
            ObjectNode vsCpu = putComparison(row.putObject("cuda_vs_cpu_fp32"), cudaVsCpu);
            boolean within = cudaVsCpu.relative() <= TensorCoreTolerance.RELATIVE; // false for NaN
            vsCpu.put("within_bound", within);
            failed |= !within;
            putComparison(row.putObject("transformers_vs_cpu_fp32"), transformersVsCpu);
            for (int p = 0; p < prompts.size(); p++) {
                greedy.add(greedy(sequences.get(p), lastRows.get(p), prompts.get(p).size(), cudaVsCpu.maxAbsDifference()));
            }
        } finally {
            for (Pair<C> pair : sequences) pair.close();
        }
        row.set("greedy", greedy);
        return row;
    }

    /** Both decoders continue their prompt greedily, each from its own last logits and its own tokens. */
    /** One prompt's sequences: the CPU oracle's and the tested decoder's. */
    private static final class Pair<C extends SequenceCache> implements AutoCloseable {
        Sequence<KvCache> cpu;
        Sequence<C> ours;

        @Override
        public void close() {
            if (cpu != null) cpu.close();
            if (ours != null) ours.close();
        }
    }

    private ObjectNode greedy(Pair<C> pair, float[][] last, int promptLength, double prefillBound) {
        int[] cpuTokens = new int[steps], ourTokens = new int[steps];
        double[] gaps = new double[steps], differences = new double[steps];
        float[] cpu = last[0], ours = last[1];
        pair.cpu.endPrompt();
        pair.ours.endPrompt();
        boolean same = true;
        for (int t = 0; t < steps; t++) {
            cpuTokens[t] = Sampling.argmax(cpu);
            ourTokens[t] = Sampling.argmax(ours);
            gaps[t] = LogitComparison.topTwoGap(cpu);
            differences[t] = same ? LogitComparison.maxAbsDifference(cpu, ours) : Double.NaN;
            same &= cpuTokens[t] == ourTokens[t];
            if (t + 1 < steps) {
                cpu = oracle.forwardLast(List.of(pair.cpu), List.of(new int[]{cpuTokens[t]}))[0];
                ours = tested.forwardLast(List.of(pair.ours), List.of(new int[]{ourTokens[t]}))[0];
            }
        }
        int divergence = GreedyAgreement.firstDivergence(cpuTokens, ourTokens);
        double observed = GreedyAgreement.observedDifference(differences, divergence);
        ObjectNode g = JSON.createObjectNode();
        g.put("prompt_length", promptLength);
        g.put("steps", steps);
        g.put("first_divergence", divergence);
        if (Double.isNaN(observed)) {
            g.putNull("observed_max_dlogit");
            g.put("holds", false);
            failed = true;
        } else {
            GreedyAgreement rule = GreedyAgreement.of(cpuTokens, ourTokens, gaps, observed);
            g.put("observed_max_dlogit", round(observed));
            g.put("first_ambiguous_step", rule.firstAmbiguous());
            g.put("must_agree", rule.mustAgree());
            g.put("holds", rule.holds());
            failed |= !rule.holds();
        }
        if (!Double.isNaN(prefillBound)) {
            GreedyAgreement prediction = GreedyAgreement.of(cpuTokens, ourTokens, gaps, prefillBound);
            g.put("prefill_bound", round(prefillBound));
            g.put("prefill_bound_first_ambiguous_step", prediction.firstAmbiguous());
            g.put("prefill_bound_holds", prediction.holds());
        }
        ArrayNode c = g.putArray("cpu_tokens"), o = g.putArray("cuda_tokens"), gap = g.putArray("cpu_top2_gap"), d = g.putArray("max_abs_dlogit");
        for (int t = 0; t < steps; t++) {
            c.add(cpuTokens[t]);
            o.add(ourTokens[t]);
            gap.add(round(gaps[t]));
            if (Double.isNaN(differences[t])) d.addNull();
            else d.add(round(differences[t]));
        }
        return g;
    }

    /** One line per model for the log: the headline numbers, and where each greedy pair diverged. */
    private static String summary(ObjectNode row) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "%s (%s): vs transformers top-1 %d/%d, max|Δ| %.4g (%.4g of max|logit|); vs cpu fp32 %.4g of max|logit|%s; greedy",
                row.get("name").asText(), row.get("dtype").asText(), row.get("top1_matches").asInt(), row.get("positions_compared").asInt(),
                row.get("max_abs_dlogit").asDouble(), row.get("max_abs_dlogit_over_max_abs_logit").asDouble(),
                row.get("cuda_vs_cpu_fp32").get("max_abs_dlogit_over_max_abs_logit").asDouble(),
                row.get("cuda_vs_cpu_fp32").get("within_bound").asBoolean() ? "" : " OUT OF BOUND"));
        for (JsonNode g : row.get("greedy")) {
            line.append(String.format(Locale.ROOT, " [diverged at %d, must agree %s, %s]", g.get("first_divergence").asInt(),
                    g.path("must_agree").asText("?"), g.get("holds").asBoolean() ? "holds" : "FAILS"));
        }
        return line.toString();
    }

    private static ObjectNode putComparison(ObjectNode node, LogitComparison c) {
        node.put("top1_agreement", round(c.top1Agreement()));
        node.put("top1_matches", c.top1Matches());
        node.put("max_abs_dlogit", round(c.maxAbsDifference()));
        node.put("max_abs_logit", round(c.maxAbsReference()));
        node.put("max_abs_dlogit_over_max_abs_logit", round(c.relative()));
        return node;
    }

    /** Six significant digits (NaN stays NaN: Jackson writes it as the string "NaN", which no reader takes for a pass). */
    private static double round(double v) {
        return Double.isFinite(v) ? Double.parseDouble(String.format(Locale.ROOT, "%.6g", v)) : v;
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = array.get(i).asInt();
        return ids;
    }

    private static void write(ObjectNode result, Path out) throws java.io.IOException {
        Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }
}
