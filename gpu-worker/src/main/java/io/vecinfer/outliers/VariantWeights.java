package io.vecinfer.outliers;

import io.vecinfer.model.Model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Derives a shipped outlier variant's weights from its base model at build time, instead of shipping a second
 * copy of them: the variant folder keeps its config.json (which records every scaled pair), tokenizer files and
 * README, plus {@code model.safetensors.sha256}; this writes {@code model.safetensors} from the base model and
 * those pairs, and checks the bytes against the recorded hash. The derivation is exact (power-of-two scales of
 * bf16 values), so the result is byte for byte the file {@link OutlierVariant} first wrote.
 * <pre>
 *   java ... io.vecinfer.outliers.VariantWeights datasets/reference-model datasets/reference-model-outliers
 * </pre>
 * A present file whose hash matches is left alone, so every build after the first costs one hash.
 */
public final class VariantWeights {
    static final String WEIGHTS = "model.safetensors", HASH = "model.safetensors.sha256";

    private VariantWeights() {
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
            OutlierVariant.writeWeights(model, OutlierVariant.recordedPairs(variant.resolve("config.json")), partial);
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

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: VariantWeights BASE_MODEL_FOLDER VARIANT_FOLDER");
            System.exit(2);
        }
        Path base = Path.of(args[0]), variant = Path.of(args[1]);
        boolean wrote = ensure(base, variant);
        System.out.println("[variant-weights] " + variant.resolve(WEIGHTS) + (wrote ? ": derived from " + base : ": up to date"));
    }
}
