package io.vecinfer.outliers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.model.Model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Derives a shipped outlier variant's weights from its base model at build time, instead of shipping a second
 * copy of them: the variant folder keeps its config.json (which records every scaled pair), tokenizer_config.json and
 * README, plus {@code model.safetensors.sha256}; this writes {@code model.safetensors} from the base model and
 * those pairs, and checks the bytes against the recorded hash. The variant's tokenizer.json is its base's, copied
 * here too ({@link #ensureTokenizer}): git keeps one copy of the 564 KB file, and every device call carries the tree. The derivation is exact (power-of-two scales of
 * bf16 values), so the result is byte for byte the file {@link OutlierVariant} first wrote.
 * <pre>
 *   java ... io.vecinfer.outliers.VariantWeights datasets          (every variant folder under datasets/)
 *   java ... io.vecinfer.outliers.VariantWeights BASE_FOLDER VARIANT_FOLDER
 * </pre>
 * The one-argument form finds the variants itself (config.json records {@code vecinfer_outlier_variant.base_model},
 * the base model's folder name beside it), so a new shipped variant needs no change to the build or the scripts.
 * A present file whose hash matches is left alone, so every build after the first costs one hash.
 */
public final class VariantWeights {
    static final String WEIGHTS = "model.safetensors", HASH = "model.safetensors.sha256", CONFIG = "config.json",
            TOKENIZER = "tokenizer.json";

    private VariantWeights() {
    }

    /** The folders directly under {@code root} whose config.json records an outlier variant, in name order. */
    public static List<Path> variants(Path root) throws IOException {
        List<Path> folders = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            for (Path child : children.sorted().toList()) {
                if (Files.isRegularFile(child.resolve(CONFIG)) && recordedBaseName(child) != null) folders.add(child);
            }
        }
        return folders;
    }

    /** The base model folder a variant's config.json names: its sibling of that name. */
    public static Path recordedBase(Path variant) throws IOException {
        String name = recordedBaseName(variant);
        if (name == null) throw new IllegalArgumentException(variant.resolve(CONFIG) + ": no vecinfer_outlier_variant.base_model: not an outlier variant's config");
        return variant.resolveSibling(name);
    }

    private static String recordedBaseName(Path variant) throws IOException {
        JsonNode base = new ObjectMapper().readTree(variant.resolve(CONFIG).toFile()).path("vecinfer_outlier_variant").path("base_model");
        return base.isTextual() && !base.asText().isEmpty() ? base.asText() : null;
    }

    /** Makes {@code variant}/model.safetensors match its recorded hash; returns whether it had to be written. */
    public static boolean ensure(Path base, Path variant) throws IOException {
        Path hashFile = variant.resolve(HASH);
        if (!Files.exists(hashFile)) throw new IllegalArgumentException(hashFile + " is missing: it names the variant's weights by their SHA-256");
        String expected = Files.readString(hashFile).trim().split("\\s+")[0];
        Path weights = variant.resolve(WEIGHTS);
        if (Files.exists(weights) && sha256(weights).equals(expected)) return false;
        Path partial = variant.resolve(WEIGHTS + ".partial");
        try (Model model = Model.load(base)) {
            OutlierVariant.writeWeights(model, OutlierVariant.recordedPairs(variant.resolve(CONFIG)), partial);
        }
        String actual = sha256(partial);
        if (!actual.equals(expected)) {
            Files.delete(partial);
            throw new IllegalStateException("derived " + weights + " from " + base + " has SHA-256 " + actual + ", but " + hashFile
                    + " says " + expected + ": the base model or the recorded pairs changed");
        }
        Files.move(partial, weights, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /**
     * Makes {@code variant}/tokenizer.json its base's (the variant changes weights only, never the vocabulary); returns
     * whether it had to be written. Copied through a partial file, so an interrupted build leaves none half written.
     */
    public static boolean ensureTokenizer(Path base, Path variant) throws IOException {
        Path source = base.resolve(TOKENIZER), target = variant.resolve(TOKENIZER);
        if (!Files.isRegularFile(source)) throw new IllegalArgumentException(source + " is missing: the variant " + variant + " takes its base's tokenizer");
        if (Files.isRegularFile(target) && Files.mismatch(source, target) == -1) return false;
        Path partial = variant.resolve(TOKENIZER + ".partial");
        Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1 && args.length != 2) {
            System.err.println("usage: VariantWeights ROOT   (derives every ROOT/* whose config.json records a variant)\n"
                    + "       VariantWeights BASE_MODEL_FOLDER VARIANT_FOLDER");
            System.exit(2);
        }
        try {
            if (args.length == 2) {
                derive(Path.of(args[0]), Path.of(args[1]));
                return;
            }
            List<Path> found = variants(Path.of(args[0]));
            if (found.isEmpty()) System.out.println("[variant-weights] " + args[0] + ": no */" + CONFIG + " records an outlier variant");
            for (Path variant : found) derive(recordedBase(variant), variant);
        } catch (IllegalStateException | IllegalArgumentException | IOException e) {
            // One line that names the file, not a stack trace, so the build or device log says what to fix.
            System.err.println("[variant-weights] ERROR: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void derive(Path base, Path variant) throws IOException {
        boolean wrote = ensure(base, variant);
        System.out.println("[variant-weights] " + variant.resolve(WEIGHTS) + (wrote ? ": derived from " + base : ": up to date"));
        boolean copied = ensureTokenizer(base, variant);
        if (copied) System.out.println("[variant-weights] " + variant.resolve(TOKENIZER) + ": copied from " + base);
    }
}
