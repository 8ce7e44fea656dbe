package io.vecinfer.spark;

import io.vecinfer.calibrate.ModelIdentity;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a sweep asks of each model, checked against the model before any work: every method fits its
 * head_dim, the tokenizer has the model's vocabulary, codebook files were made for this model, method and
 * layout and are whole, and calibration windows fit its context. Only config.json, tokenizer.json and the
 * codebook files (small) are read; never the weights. Each problem names the sweep field that asks for it.
 */
final class ModelChecks {
    /**
     * A config's vocab_size may exceed the tokenizer's (embeddings padded to a round size: Qwen2.5 pads
     * 151665 tokens to 152064); more padding than this means a tokenizer of another model.
     */
    static final double MAX_PADDING_FRACTION = 0.01;
    static final int MAX_PADDING_IDS = 1024;

    /** A model of the sweep whose config.json reads: its index in {@code models} and its folder. */
    record Model(int index, Path folder, ModelConfig config) {
        KvLayout layout() {
            return new KvLayout(config.numLayers(), config.numKvHeads(), config.numHeads(), config.headDim());
        }

        @Override
        public String toString() {
            return "model " + folder + " (head_dim " + config.headDim() + ", context " + config.contextLength() + ")";
        }
    }

    private ModelChecks() {
    }

    /** The models whose config.json reads; the others are reported, and skipped by the checks that need a config. */
    static List<Model> load(SweepFile file, List<SweepSpecException.Problem> problems) {
        List<Model> models = new ArrayList<>();
        List<String> listed = file.spec().models();
        for (int i = 0; i < listed.size(); i++) {
            if (listed.get(i) == null) continue;
            Path folder = LocalPaths.resolve(listed.get(i));
            Path config = folder.resolve("config.json");
            if (!Files.isRegularFile(config)) continue; // reported by the validator
            try {
                models.add(new Model(i, folder, ModelConfig.load(config)));
            } catch (RuntimeException e) {
                problems.add(file.problemAt("/models/" + i, e.getMessage()));
            }
        }
        return models;
    }

    /** Every method on every model: VQ sub-vectors and KIVI value groups must divide head_dim. */
    static List<SweepSpecException.Problem> methods(SweepFile file, List<Model> models) {
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        List<String> methods = file.spec().methods();
        for (int i = 0; i < methods.size(); i++) {
            MethodSpec method = parsedOrNull(methods.get(i));
            if (method == null) continue; // reported by the validator
            for (Model model : models) {
                String why = layoutProblem(method, model);
                if (why != null) problems.add(file.problemAt("/methods/" + i, "on " + model + ": " + why));
            }
        }
        return problems;
    }

    /**
     * The worker's own layout check, and KIVI's value groups: the worker quantizes a group that does not
     * fill G channels as the shorter group it is, so the cache would not be the b{bits}g{G} the sweep names.
     * (KIVI's key groups run over tokens, not channels, so head_dim does not constrain them.)
     */
    private static String layoutProblem(MethodSpec method, Model model) {
        try {
            method.checkLayout(model.layout());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        int d = model.config().headDim();
        if (method instanceof KiviSpec kivi && d % kivi.values().group() != 0) {
            return "bad KV-cache spec '" + kivi.spec() + "' for head_dim " + d + ": v=" + kivi.values() + ": a group of "
                    + kivi.values().group() + " channels does not divide head_dim " + d;
        }
        return null;
    }

    /** Each model's tokenizer.json reads and has the vocabulary of its config.json. */
    static List<SweepSpecException.Problem> tokenizers(SweepFile file, List<Model> models, List<Model> usable) {
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        for (Model model : models) {
            Path path = model.folder().resolve("tokenizer.json");
            String why;
            if (!Files.isRegularFile(path)) {
                why = path + ": file not found (a model needs its tokenizer.json)";
            } else {
                try {
                    why = vocabularyProblem(path, Tokenizer.load(path).vocabSize(), model.config().vocabSize());
                } catch (RuntimeException e) {
                    why = e.getMessage();
                }
            }
            if (why == null) usable.add(model);
            else problems.add(file.problemAt("/models/" + model.index(), why));
        }
        return problems;
    }

    static String vocabularyProblem(Path tokenizer, int tokens, int vocabSize) {
        if (tokens > vocabSize) {
            return tokenizer + ": a tokenizer of another vocabulary: " + tokens + " tokens, but config.json's vocab_size is " + vocabSize
                    + " (ids from " + vocabSize + " up would index past the embedding)";
        }
        if (vocabSize - tokens > Math.max(MAX_PADDING_IDS, MAX_PADDING_FRACTION * vocabSize)) {
            return tokenizer + ": a tokenizer of another vocabulary: " + tokens + " tokens, but config.json's vocab_size is " + vocabSize
                    + " (more than padding; is it this model's tokenizer.json?)";
        }
        return null;
    }

    /** Each codebook file is whole and was made for its entry's model, method and the model's layout. */
    static List<SweepSpecException.Problem> codebooks(SweepFile file, List<Model> models) {
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        List<SweepSpec.Codebook> codebooks = file.spec().codebooks();
        Map<Path, String> identities = new LinkedHashMap<>();
        for (int i = 0; i < codebooks.size(); i++) {
            SweepSpec.Codebook entry = codebooks.get(i);
            if (entry == null || entry.path() == null) continue; // reported by the validator
            MethodSpec method = parsedOrNull(entry.method());
            Path path = LocalPaths.resolve(entry.path());
            Model model = models.stream().filter(m -> Objects.equals(file.spec().models().get(m.index()), entry.model())).findFirst().orElse(null);
            if (method == null || model == null || !Files.isRegularFile(path)) continue; // reported by the validator
            if (!(method instanceof VqSpec vq)) {
                problems.add(file.problemAt("/codebooks/" + i + "/method", method.spec() + " uses no codebooks (only vecinfer and rawvq do)"));
                continue;
            }
            if (layoutProblem(vq, model) != null) continue; // reported at the method
            try {
                String identity = identities.computeIfAbsent(model.folder(), ModelIdentity::of);
                CodebookFile.read(path, vq, model.layout(), identity);
            } catch (RuntimeException e) {
                problems.add(file.problemAt("/codebooks/" + i + "/path", "not usable for " + vq.spec() + " on " + model + ": " + e.getMessage()));
            }
        }
        return problems;
    }

    /**
     * Calibration windows (BOS, then windowTokens tokens) must fit each model that a VQ method without a
     * codebook file calibrates for: ahead with {@link Calibrate}, or on demand in the runner.
     */
    static List<SweepSpecException.Problem> calibrationWindows(SweepFile file, List<Model> models) {
        SweepSpec spec = file.spec();
        int window = spec.calibrationOrDefaults().windowTokens();
        List<SweepSpecException.Problem> problems = new ArrayList<>();
        for (Model model : models) {
            if (window < 1 || window + 1 <= model.config().contextLength()) continue;
            String modelPath = spec.models().get(model.index());
            for (int i = 0; i < spec.methods().size(); i++) {
                if (!(parsedOrNull(spec.methods().get(i)) instanceof VqSpec vq) || hasCodebook(spec, modelPath, vq)) continue;
                String need = "calibrating " + vq.spec() + " on " + model + " needs windows of " + window + " tokens plus BOS, past its context";
                if (spec.calibration() != null) {
                    problems.add(file.problemAt("/calibration/windowTokens", need + ": use windowTokens of at most " + (model.config().contextLength() - 1)));
                } else {
                    problems.add(file.problemAt("/methods/" + i, need + " (the on-demand default): give the sweep a \"calibration\" with windowTokens"
                            + " of at most " + (model.config().contextLength() - 1) + ", or a codebook file"));
                }
                break; // one problem per model: the window is the same for every method
            }
        }
        return problems;
    }

    private static boolean hasCodebook(SweepSpec spec, String model, VqSpec vq) {
        // Matched as Grid matches them: the same method in canonical form, window included.
        return spec.codebooks().stream().anyMatch(c -> c != null && Objects.equals(c.model(), model) && vq.equals(parsedOrNull(c.method())));
    }

    private static MethodSpec parsedOrNull(String method) {
        try {
            return method == null ? null : MethodSpec.parse(method);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
