package io.vecinfer.calibrate;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.dataset.TextDocument;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.CheckpointException;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.Calibration;
import io.vecinfer.quant.calib.CalibrationSamples;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.quant.calib.RecordingKvCache;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KMeansConfig;
import io.vecinfer.safetensors.SafeTensorsException;
import io.vecinfer.tensor.Parallel;
import io.vecinfer.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs calibration text through the model, records every post-RoPE key and value per layer and KV
 * head, and fits the smooth factors and codebooks of a VQ method.
 *
 * <pre>
 *   java ... io.vecinfer.calibrate.Calibrator --model datasets/reference-model \
 *       --method vecinfer:k=d4b8,v=d4b8,r=128 --out codebooks.safetensors \
 *       [--text datasets/calibration/calibration.jsonl] [--windows 8] [--window-tokens 512] [--iterations 30] [--seed 0] [--verbose]
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
            decoder.forwardLast(List.of(new Sequence<>(recording.create(model.kvLayout()))), List.of(prompt));
        }
        return samples;
    }

    /** Exit status of a command line that cannot run (a bad or missing flag). */
    static final int USAGE = 2;
    static final String VERBOSE = "--verbose";

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) System.exit(status);
    }

    /**
     * Runs the command; returns its exit status, having printed what went wrong to {@code err}: a bad
     * flag, model, method, text or --out as its message alone (status 2 for flags, 1 for the rest),
     * with the stack trace only under {@code --verbose}. Everything a flag names is checked before the
     * model is loaded, so that a bad --out does not cost a fit.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> given = new ArrayList<>(List.of(args));
        boolean verbose = given.remove(VERBOSE);
        Arguments a;
        try {
            a = Arguments.parse(given.toArray(String[]::new), List.of("model", "method", "out"),
                    List.of("text", "windows", "window-tokens", "iterations", "seed"));
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage() + " (and " + VERBOSE + " for stack traces)");
            return USAGE;
        }
        try {
            calibrate(a, out);
            return 0;
        } catch (IllegalArgumentException | UncheckedIOException | IOException | CheckpointException | SafeTensorsException e) {
            err.println("error: " + e.getMessage());
            if (verbose) e.printStackTrace(err);
            else err.println("(run with " + VERBOSE + " for the stack trace)");
            return 1;
        }
    }

    private static void calibrate(Arguments a, PrintStream out) throws IOException {
        Path modelFolder = Path.of(a.get("model"));
        MethodSpec parsed = MethodSpec.parse(a.get("method"));
        if (!(parsed instanceof VqSpec spec)) {
            throw new IllegalArgumentException("--method '" + a.get("method") + "' has no codebooks to calibrate (vecinfer or rawvq only)");
        }
        Settings settings = new Settings(Path.of(a.get("text", Datasets.calibration(Datasets.folder()).toString())),
                a.integer("windows", 8), a.integer("window-tokens", 512), a.integer("iterations", KMeansConfig.PAPER_ITERATIONS),
                a.integer("seed", 0));
        Path outFile = Path.of(a.get("out"));
        checkBeforeTheFit(modelFolder, settings.text(), outFile);
        try (Model model = Model.load(modelFolder)) {
            long t0 = System.nanoTime();
            CodebookSet set = calibrate(model, Tokenizer.load(modelFolder.resolve("tokenizer.json")), spec, settings);
            CodebookFile.write(outFile, set);
            out.printf("calibrated %s on %s in %.1f s -> %s%n", spec.spec(), model.name(), (System.nanoTime() - t0) / 1e9, outFile);
        }
    }

    /** What would fail after minutes of fitting, refused now: no model folder or text, an --out that cannot be written. */
    static void checkBeforeTheFit(Path modelFolder, Path text, Path outFile) {
        if (!Files.isRegularFile(modelFolder.resolve("config.json"))) {
            throw new IllegalArgumentException("--model " + modelFolder + ": not a model folder (no config.json)");
        }
        if (!Files.isRegularFile(text)) throw new IllegalArgumentException("--text " + text + ": file not found");
        if (Files.isDirectory(outFile)) throw new IllegalArgumentException("--out " + outFile + ": is a folder; give the codebook file's name");
        Path folder = outFile.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) throw new IllegalArgumentException("--out " + outFile + ": folder " + folder + " does not exist");
        if (!Files.isWritable(folder)) throw new IllegalArgumentException("--out " + outFile + ": folder " + folder + " is not writable");
        if (Files.exists(outFile) && !Files.isWritable(outFile)) throw new IllegalArgumentException("--out " + outFile + ": file is not writable");
    }
}
