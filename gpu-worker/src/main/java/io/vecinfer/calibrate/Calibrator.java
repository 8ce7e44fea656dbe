package io.vecinfer.calibrate;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.dataset.TextDocument;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.Calibration;
import io.vecinfer.quant.calib.CalibrationSamples;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.quant.calib.RecordingKvCache;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KMeansConfig;
import io.vecinfer.tensor.Parallel;
import io.vecinfer.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs calibration text through the model, records every post-RoPE key and value per layer and KV
 * head, and fits the smooth factors and codebooks of a VQ method.
 *
 * <pre>
 *   java ... io.vecinfer.calibrate.Calibrator --model datasets/reference-model \
 *       --method vecinfer:k=d4b8,v=d4b8,r=128 --out codebooks.safetensors \
 *       [--text datasets/calibration/calibration.jsonl] [--windows 8] [--window-tokens 512] [--iterations 30] [--seed 0]
 * </pre>
 */
public final class Calibrator {

    /** How much calibration text, in windows of tokens each preceded by BOS, and the k-means settings. */
    public record Settings(Path text, int windows, int windowTokens, int iterations, long seed) {
        public Settings {
            if (windows <= 0 || windowTokens <= 0) {
                throw new IllegalArgumentException("calibration: --windows and --window-tokens must be positive");
            }
        }
    }

    private Calibrator() {
    }

    public static CodebookSet calibrate(Model model, Tokenizer tokenizer, VqSpec spec, Settings settings) {
        spec.checkLayout(model.kvLayout());
        CalibrationSamples samples = collect(model, tokenizer, settings);
        KMeansConfig kmeans = new KMeansConfig(settings.iterations(), settings.seed(), Parallel.threads());
        return Calibration.fit(spec, samples, ModelIdentity.of(model), kmeans);
    }

    /** Post-RoPE keys and values of every layer and KV head over the calibration windows. */
    public static CalibrationSamples collect(Model model, Tokenizer tokenizer, Settings settings) {
        int[] ids;
        try {
            ids = tokenizer.encode(String.join("\n\n", TextDocument.load(settings.text()).stream().map(TextDocument::text).toList()));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        int windows = Math.min(settings.windows(), ids.length / settings.windowTokens());
        if (windows == 0) {
            throw new IllegalArgumentException(settings.text() + ": " + ids.length + " tokens, shorter than one calibration window of "
                    + settings.windowTokens());
        }
        CalibrationSamples samples = new CalibrationSamples(model.kvLayout());
        KvCacheFactory recording = RecordingKvCache.factory(DenseKvCache.Precision.FP32, samples);
        Decoder decoder = new Decoder(model);
        int bos = tokenizer.tokenId("<|begin_of_text|>").orElse(model.config().bosTokenId());
        for (int w = 0; w < windows; w++) {
            int[] prompt = new int[settings.windowTokens() + 1];
            prompt[0] = bos;
            System.arraycopy(ids, w * settings.windowTokens(), prompt, 1, settings.windowTokens());
            decoder.forwardLast(List.of(new Sequence(recording.create(model.kvLayout()))), List.of(prompt));
        }
        return samples;
    }

    public static void main(String[] args) throws IOException {
        Arguments a = Arguments.parse(args, List.of("model", "method", "out"),
                List.of("text", "windows", "window-tokens", "iterations", "seed"));
        Path modelFolder = Path.of(a.get("model"));
        MethodSpec parsed = MethodSpec.parse(a.get("method"));
        if (!(parsed instanceof VqSpec spec)) {
            throw new IllegalArgumentException("--method '" + a.get("method") + "' has no codebooks to calibrate (vecinfer or rawvq only)");
        }
        Settings settings = new Settings(Path.of(a.get("text", Datasets.calibration(Datasets.folder()).toString())),
                a.integer("windows", 8), a.integer("window-tokens", 512), a.integer("iterations", KMeansConfig.PAPER_ITERATIONS),
                a.integer("seed", 0));
        try (Model model = Model.load(modelFolder)) {
            long t0 = System.nanoTime();
            CodebookSet set = calibrate(model, Tokenizer.load(modelFolder.resolve("tokenizer.json")), spec, settings);
            CodebookFile.write(Path.of(a.get("out")), set);
            System.out.printf("calibrated %s on %s in %.1f s -> %s%n", spec.spec(), model.name(),
                    (System.nanoTime() - t0) / 1e9, a.get("out"));
        }
    }
}
