package io.vecinfer.spark;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.calibrate.ModelIdentity;
import io.vecinfer.dataset.Datasets;
import io.vecinfer.quant.VqSpec;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Codebook files fitted by {@link Calibrate}: {@code <out>/codebooks/<name>.safetensors}, one per
 * (model, VQ method the sweep gives no codebook for). The name is the first 16 hex digits of the
 * sha256 of what determines the codebooks: the model identity (its checkpoint's content fingerprint, so
 * retrained weights get new codebooks), the canonical method spec with its residual
 * window fixed (the window does not change codebooks, so r=32 and r=128 share a file) and the
 * calibration settings, the text by its content (so the name does not depend on where datasets/ is).
 * A name is thus a content key: a file that exists is whole (written by temp + rename) and right for
 * every cell that maps to it, which is all that resume and lookup need.
 *
 * <p>The files are read with java.nio by the executors' runners, so, like models and sweep codebooks,
 * the output folder must then be a local or shared file system.
 */
final class CalibratedCodebooks {
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{" + Hashes.NAME_LENGTH + "}\\.safetensors");

    /** One file to fit, in a form Spark can ship to a task (paths absolute, settings resolved). */
    record Target(String model, String method, Settings settings, String file) implements Serializable {
    }

    /** {@link SweepSpec.Calibration} resolved: the text absolute, every number set. */
    record Settings(String text, int windows, int windowTokens, int iterations, long seed) implements Serializable {
        static Settings of(SweepSpec.Calibration c) {
            String text = c.text() != null ? LocalPaths.absolute(c.text())
                    : Datasets.calibration(Datasets.folder()).normalize().toString();
            return new Settings(text, c.windows(), c.windowTokens(), c.iterations(), c.seed());
        }

        Calibrator.Settings forWorker() {
            return new Calibrator.Settings(Path.of(text), windows, windowTokens, iterations, seed);
        }
    }

    private CalibratedCodebooks() {
    }

    /** The codebooks folder of an output, or null when the output is not on the local file system. */
    static Path folder(org.apache.hadoop.fs.Path output) {
        return "file".equals(output.toUri().getScheme()) ? Path.of(OutputLayout.codebooks(output).toUri()) : null;
    }

    /**
     * Every file the sweep's VQ methods without a codebook need, in sweep order, each once (methods
     * that differ only in their window share one). Reads each model's config.json and the text.
     */
    static List<Target> planned(SweepSpec spec, Path folder) {
        Map<String, Target> byFile = new LinkedHashMap<>();
        for (Use use : uses(spec, folder)) byFile.putIfAbsent(use.target().file(), use.target());
        return new ArrayList<>(byFile.values());
    }

    /**
     * The sweep with the calibrated files that exist added as codebooks of their (model, method); the
     * sweep unchanged when there are none (no codebooks folder, or no calibration text to name them by),
     * and its cells then calibrate on demand in the runner.
     */
    static SweepSpec withExisting(SweepSpec spec, org.apache.hadoop.fs.Path output) {
        Path folder = folder(output);
        if (folder == null || !Files.isDirectory(folder)) return spec;
        if (!Files.isRegularFile(Path.of(Settings.of(spec.calibrationOrDefaults()).text()))) return spec;
        List<SweepSpec.Codebook> codebooks = new ArrayList<>(spec.codebooks());
        for (Use use : uses(spec, folder)) {
            if (Files.isRegularFile(Path.of(use.target().file()))) {
                codebooks.add(new SweepSpec.Codebook(use.model(), use.method(), use.target().file()));
            }
        }
        return spec.withCodebooks(codebooks);
    }

    /** A (model, method) of the sweep, as written there, and the calibrated file it would use. */
    private record Use(String model, String method, Target target) {
    }

    private static List<Use> uses(SweepSpec spec, Path folder) {
        Settings settings = Settings.of(spec.calibrationOrDefaults());
        String settingsKey = "text_sha256=" + Hashes.ofFile(Path.of(settings.text())) + "\nwindows=" + settings.windows()
                + "\nwindow_tokens=" + settings.windowTokens() + "\niterations=" + settings.iterations() + "\nseed=" + settings.seed();
        List<Use> uses = new ArrayList<>();
        for (String model : spec.models()) {
            String identity = ModelIdentity.of(LocalPaths.resolve(model));
            for (String method : spec.methods()) {
                if (!(io.vecinfer.quant.MethodSpec.parse(method) instanceof VqSpec vq) || hasSweepCodebook(spec, model, method)) continue;
                String name = Hashes.name("model=" + identity + "\nmethod=" + vq.withWindow(VqSpec.DEFAULT_WINDOW).spec() + "\n" + settingsKey);
                Target target = new Target(LocalPaths.absolute(model), method, settings, folder.resolve(name + ".safetensors").toString());
                uses.add(new Use(model, method, target));
            }
        }
        return uses;
    }

    /** Whether a cell's codebook path names a calibrated file (so its name alone identifies it). */
    static boolean isCalibratedFile(String path) {
        if (path == null) return false;
        Path p = Path.of(path);
        return p.getParent() != null && p.getParent().getFileName() != null
                && p.getParent().getFileName().toString().equals(OutputLayout.CODEBOOKS) && NAME.matcher(fileName(path)).matches();
    }

    static String fileName(String path) {
        return Path.of(path).getFileName().toString();
    }

    private static boolean hasSweepCodebook(SweepSpec spec, String model, String method) {
        return spec.codebooks().stream().anyMatch(c -> c.model().equals(model) && Grid.canonical(c.method()).equals(Grid.canonical(method)));
    }
}
