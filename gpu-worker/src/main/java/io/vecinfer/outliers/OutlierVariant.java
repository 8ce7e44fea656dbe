package io.vecinfer.outliers;

import io.vecinfer.dataset.Datasets;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.calibrate.Arguments;
import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.safetensors.DType;
import io.vecinfer.safetensors.SafeTensorsFile;
import io.vecinfer.safetensors.SafeTensorsWriter;
import io.vecinfer.safetensors.TensorInfo;
import io.vecinfer.tensor.Half;
import io.vecinfer.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Writes an exactly equivalent model whose keys have outlier channels, as large models' keys do.
 *
 * <p>RoPE rotates each channel pair (i, i + D/2) of a head; scaling both channels of a pair of k_proj by
 * s and the same channels of every query head of the group by 1/s leaves each q·k, and so every logit,
 * unchanged, while the stored keys now carry channels s times larger. s is a power of two so that
 * bf16/fp16 weights scale without rounding: the variant's logits equal the original's bit for bit in
 * fp32 (up to the products' exponent range). The pairs chosen are each head's largest already, scaled
 * to about {@code --ratio} times the head's median channel max |K| on calibration text.
 *
 * <pre>
 *   java ... io.vecinfer.outliers.OutlierVariant --model datasets/reference-model \
 *       --out datasets/reference-model-outliers [--pairs 2] [--ratio 16]
 * </pre>
 */
public final class OutlierVariant {

    /** One scaled pair: channels (channel, channel + D/2) of a KV head, keys × scale, queries ÷ scale. */
    public record ScaledPair(int layer, int kvHead, int channel, float scale) {
    }

    private OutlierVariant() {
    }

    /** Chooses the pairs from the model's key profile on calibration text. */
    public static List<ScaledPair> choose(List<KeyChannelProfile.Head> profile, int headDim, int pairsPerHead, double ratio) {
        List<ScaledPair> out = new ArrayList<>();
        int half = headDim / 2;
        for (KeyChannelProfile.Head head : profile) {
            if (head.transform() != KeyChannelProfile.Transform.NONE) continue;
            float[] max = head.channelMaxAbs();
            float[] sorted = max.clone();
            java.util.Arrays.sort(sorted);
            double median = (sorted[(headDim - 1) / 2] + sorted[headDim / 2]) / 2.0;
            int[] byPairMax = IntStream.range(0, half).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -Math.max(max[i], max[i + half])).thenComparing(i -> i))
                    .mapToInt(Integer::intValue).limit(pairsPerHead).toArray();
            for (int i : byPairMax) {
                double current = Math.max(max[i], max[i + half]);
                int exponent = Math.max(1, (int) Math.round(Math.log(ratio * median / current) / Math.log(2)));
                out.add(new ScaledPair(head.layer(), head.kvHead(), i, (float) Math.scalb(1.0, exponent)));
            }
        }
        return out;
    }

    /** The variant's weights (model.safetensors), its tokenizer files and its config.json with {@code profileRecord}. */
    public static void write(Model model, List<ScaledPair> pairs, Path out, ObjectNode profileRecord) throws IOException {
        Files.createDirectories(out);
        writeWeights(model, pairs, out.resolve("model.safetensors"));
        Path from = model.checkpoint().folder();
        for (String f : new String[]{"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
            if (Files.exists(from.resolve(f))) Files.copy(from.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode config = (ObjectNode) json.readTree(from.resolve("config.json").toFile());
        config.set("vecinfer_outlier_variant", profileRecord);
        json.writeValue(out.resolve("config.json").toFile(), config);
    }

    /** The pairs a variant's config.json records (under vecinfer_outlier_variant.scaled_pairs), as {@link #write} wrote them. */
    public static List<ScaledPair> recordedPairs(Path variantConfig) throws IOException {
        var record = new ObjectMapper().readTree(variantConfig.toFile()).path("vecinfer_outlier_variant").path("scaled_pairs");
        if (!record.isArray() || record.isEmpty()) {
            throw new IllegalArgumentException(variantConfig + ": no vecinfer_outlier_variant.scaled_pairs: not an outlier variant's config");
        }
        List<ScaledPair> pairs = new ArrayList<>();
        for (var p : record) {
            pairs.add(new ScaledPair(p.path("layer").asInt(), p.path("kv_head").asInt(),
                    Integer.parseInt(p.path("channels").asText().split(",")[0]), (float) p.path("scale").asDouble()));
        }
        return pairs;
    }

    /** Writes the model's tensors with the pairs' rows scaled, to {@code target}. */
    public static void writeWeights(Model model, List<ScaledPair> pairs, Path target) throws IOException {
        ModelConfig c = model.config();
        if (c.qkNorm()) {
            throw new IllegalArgumentException(model.checkpoint().folder() + ": Qwen3's q/k norms are shared by all heads;"
                    + " per-head outlier scaling would need them folded first (not supported)");
        }
        // row scale per tensor: k_proj rows × s, q_proj rows of the group's query heads ÷ s (biases alike)
        Map<String, float[]> rowScales = new HashMap<>();
        int d = c.headDim(), half = d / 2;
        for (ScaledPair p : pairs) {
            String a = "model.layers." + p.layer() + ".self_attn.";
            float[] k = rowScales.computeIfAbsent(a + "k_proj", x -> ones(c.numKvHeads() * d));
            float[] q = rowScales.computeIfAbsent(a + "q_proj", x -> ones(c.numHeads() * d));
            for (int ch : new int[]{p.channel(), p.channel() + half}) {
                k[p.kvHead() * d + ch] *= p.scale();
                for (int g = 0; g < c.kvGroupSize(); g++) q[(p.kvHead() * c.kvGroupSize() + g) * d + ch] /= p.scale();
            }
        }
        SafeTensorsWriter writer = new SafeTensorsWriter().metadata("format", "pt");
        for (var entry : new java.util.TreeMap<>(model.checkpoint().tensorFiles()).entrySet()) {
            String name = entry.getKey();
            SafeTensorsFile file = entry.getValue();
            TensorInfo info = file.info(name);
            ByteBuffer src = file.map(name);
            byte[] bytes = new byte[src.remaining()];
            src.get(bytes);
            String module = name.endsWith(".weight") || name.endsWith(".bias") ? name.substring(0, name.lastIndexOf('.')) : name;
            float[] scales = rowScales.get(module);
            if (scales != null) scaleRows(bytes, info, scales);
            writer.raw(name, info.dtype(), bytes, info.shape());
        }
        writer.write(target);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static void scaleRows(byte[] bytes, TensorInfo info, float[] rowScales) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int rows = (int) info.shape()[0];
        int cols = info.shape().length > 1 ? (int) info.shape()[1] : 1;
        for (int r = 0; r < rows; r++) {
            float s = rowScales[r];
            if (s == 1f) continue;
            for (int i = r * cols; i < (r + 1) * cols; i++) {
                switch (info.dtype()) {
                    case F32 -> b.putFloat(4 * i, b.getFloat(4 * i) * s);
                    case BF16 -> b.putShort(2 * i, Half.floatToBf16(Half.bf16ToFloat(b.getShort(2 * i)) * s));
                    case F16 -> b.putShort(2 * i, Half.fromFloat(Half.toFloat(b.getShort(2 * i)) * s));
                    default -> throw new IllegalArgumentException("tensor '" + info.name() + "': cannot scale dtype " + info.dtype());
                }
            }
        }
    }

    public static void main(String[] args) throws IOException {
        Arguments a = Arguments.parse(args, List.of("model", "out"), List.of("pairs", "ratio", "text"));
        int pairsPerHead = a.integer("pairs", 2);
        double ratio = Double.parseDouble(a.get("ratio", "16"));
        Path modelFolder = Path.of(a.get("model"));
        try (Model model = Model.load(modelFolder)) {
            Tokenizer tokenizer = Tokenizer.load(modelFolder.resolve("tokenizer.json"));
            var settings = new Calibrator.Settings(Path.of(a.get("text", Datasets.calibration(Datasets.folder()).toString())), 4, 512, 0, 0);
            List<KeyChannelProfile.Head> before = KeyChannelProfile.measure(Calibrator.collect(model, tokenizer, settings));
            List<ScaledPair> pairs = choose(before, model.config().headDim(), pairsPerHead, ratio);
            ObjectNode record = new ObjectMapper().createObjectNode();
            record.put("base_model", model.name());
            record.put("transform", "RoPE-pair channel scaling: k_proj rows x s, matching q_proj rows / s (power-of-two s); logits unchanged");
            record.put("pairs_per_head", pairsPerHead);
            record.put("target_max_over_median", ratio);
            record.put("profile_text", settings.text().toString() + " (" + settings.windows() + " x " + settings.windowTokens() + " tokens)");
            ArrayNode list = record.putArray("scaled_pairs");
            for (ScaledPair p : pairs) {
                list.addObject().put("layer", p.layer()).put("kv_head", p.kvHead()).put("channels",
                        p.channel() + "," + (p.channel() + model.config().headDim() / 2)).put("scale", p.scale());
            }
            Path out = Path.of(a.get("out"));
            write(model, pairs, out, record);
            try (Model variant = Model.load(out)) {
                var after = KeyChannelProfile.measure(Calibrator.collect(variant, tokenizer, settings));
                System.out.println("key channel max/median before:\n" + KeyChannelProfile.table(before));
                System.out.println("after:\n" + KeyChannelProfile.table(after));
            }
            System.out.printf(Locale.ROOT, "wrote %s: %d pairs scaled%n", out, pairs.size());
        }
    }
}
