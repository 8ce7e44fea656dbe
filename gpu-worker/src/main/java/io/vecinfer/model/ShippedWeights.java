package io.vecinfer.model;

import io.vecinfer.fingerprint.FileHashes;
import org.tukaani.xz.XZInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Unpacks the shipped models' weights before anything reads them. Each device call carries the whole tracked
 * tree (at most 64 MiB with what else travels), so a shipped model folder tracks {@code model.safetensors.xz}
 * and the SHA-256 of the unpacked file in {@code model.safetensors.sha256}; {@code model.safetensors} itself is
 * ignored by git. The Maven build runs this first in process-classes (gpu-worker/pom.xml), and the device
 * scripts run it from the bundle's or the Spark runtime's classpath, so there is one implementation.
 * <pre>
 *   java -cp ... io.vecinfer.model.ShippedWeights datasets        (every datasets/&#42;/model.safetensors.xz)
 * </pre>
 * A present {@code model.safetensors} with the recorded hash is left alone, so a build after the first costs
 * one hash per model; unpacked bytes with another hash are refused, naming the file, and never replace it.
 */
public final class ShippedWeights {
    static final String WEIGHTS = "model.safetensors", PACKED = WEIGHTS + ".xz", HASH = WEIGHTS + ".sha256";

    private ShippedWeights() {
    }

    /** The model folders directly under {@code root} that ship packed weights, in name order. */
    public static List<Path> shippedModels(Path root) throws IOException {
        List<Path> folders = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            children.filter(child -> Files.isRegularFile(child.resolve(PACKED))).sorted().forEach(folders::add);
        }
        return folders;
    }

    /** Makes {@code folder}/model.safetensors the unpacked model.safetensors.xz; returns whether it had to be written. */
    public static boolean ensure(Path folder) throws IOException {
        Path packed = folder.resolve(PACKED), hashFile = folder.resolve(HASH), weights = folder.resolve(WEIGHTS);
        if (!Files.isRegularFile(hashFile))
            throw new IllegalArgumentException(hashFile + " is missing: it names " + packed + "'s unpacked bytes by their SHA-256");
        String expected = Files.readString(hashFile).trim().split("\\s+")[0];
        // Uncached: the build must not write a hash cache into the user's home.
        if (Files.exists(weights) && new FileHashes(null).of(weights).equals(expected)) return false;
        Path partial = folder.resolve(WEIGHTS + ".partial");
        String actual = unpack(packed, partial);
        if (!actual.equals(expected)) {
            Files.delete(partial);
            throw new IllegalStateException("unpacked " + packed + " has SHA-256 " + actual + ", but " + hashFile + " says "
                    + expected + ": the packed file or the recorded hash is wrong (" + weights + " was not written)");
        }
        Files.move(partial, weights, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** Writes the xz file's content to {@code target}; returns the SHA-256 of what was written. */
    static String unpack(Path packed, Path target) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = new XZInputStream(new BufferedInputStream(Files.newInputStream(packed), 1 << 16));
             OutputStream out = new DigestOutputStream(Files.newOutputStream(target), digest)) {
            in.transferTo(out);
        } catch (IOException e) {
            Files.deleteIfExists(target);
            throw new IOException(packed + ": cannot unpack: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: ShippedWeights ROOT...   (unpacks every ROOT/*/model.safetensors.xz)");
            System.exit(2);
        }
        for (String root : args) {
            List<Path> models = shippedModels(Path.of(root));
            if (models.isEmpty()) System.out.println("[shipped-weights] " + root + ": no */" + PACKED);
            for (Path folder : models) {
                try {
                    boolean wrote = ensure(folder);
                    System.out.println("[shipped-weights] " + folder.resolve(WEIGHTS) + (wrote ? ": unpacked from " + PACKED : ": up to date"));
                } catch (IllegalStateException | IllegalArgumentException | IOException e) {
                    // One line that names the file, not a stack trace, so the build or device log says what to fix.
                    System.err.println("[shipped-weights] ERROR: " + e.getMessage());
                    System.exit(1);
                }
            }
        }
    }
}
