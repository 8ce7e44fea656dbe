package io.vecinfer.model;

import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shipped weights travel as model.safetensors.xz and are unpacked once, checked against their recorded hash. */
class ShippedWeightsTest {
    private final Random random = new Random();

    @Test
    void unpacksTheRecordedBytesOnceThenLeavesThemAlone(@TempDir Path dir) throws Exception {
        byte[] content = randomWeights();
        Path folder = shippedModel(dir.resolve("model"), content, sha256(content));
        assertTrue(ShippedWeights.ensure(folder), "first call unpacks");
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(ShippedWeights.WEIGHTS)));
        assertFalse(Files.exists(folder.resolve(ShippedWeights.WEIGHTS + ".partial")));
        long modified = Files.getLastModifiedTime(folder.resolve(ShippedWeights.WEIGHTS)).toMillis();
        assertFalse(ShippedWeights.ensure(folder), "a file with the recorded hash is left alone");
        assertEquals(modified, Files.getLastModifiedTime(folder.resolve(ShippedWeights.WEIGHTS)).toMillis());
    }

    @Test
    void replacesAnUnpackedFileWhoseBytesChanged(@TempDir Path dir) throws Exception {
        byte[] content = randomWeights();
        Path folder = shippedModel(dir.resolve("model"), content, sha256(content));
        byte[] damaged = content.clone();
        damaged[random.nextInt(damaged.length)] ^= 1;
        Files.write(folder.resolve(ShippedWeights.WEIGHTS), damaged);
        assertTrue(ShippedWeights.ensure(folder), "a file without the recorded hash is unpacked again");
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(ShippedWeights.WEIGHTS)));
    }

    @Test
    void refusesBytesWithAnotherHashAndNamesTheFile(@TempDir Path dir) throws Exception {
        byte[] content = randomWeights();
        String wrong = sha256(new byte[] {1});
        Path folder = shippedModel(dir.resolve("model"), content, wrong);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShippedWeights.ensure(folder));
        String message = e.getMessage();
        assertTrue(message.contains(folder.resolve(ShippedWeights.PACKED).toString()), message);
        assertTrue(message.contains("has SHA-256 " + sha256(content)), message);
        assertTrue(message.contains(ShippedWeights.HASH + " says " + wrong), message);
        assertFalse(Files.exists(folder.resolve(ShippedWeights.WEIGHTS)), "refused bytes are not left as the weights");
        assertFalse(Files.exists(folder.resolve(ShippedWeights.WEIGHTS + ".partial")));
    }

    @Test
    void refusesAFolderWithoutARecordedHash(@TempDir Path dir) throws Exception {
        Path folder = shippedModel(dir.resolve("model"), randomWeights(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShippedWeights.ensure(folder));
        assertTrue(e.getMessage().contains(folder.resolve(ShippedWeights.HASH) + " is missing"), e.getMessage());
    }

    @Test
    void findsEveryFolderThatShipsPackedWeights(@TempDir Path dir) throws Exception {
        byte[] content = randomWeights();
        Path b = shippedModel(dir.resolve("b-model"), content, sha256(content)), a = shippedModel(dir.resolve("a-model"), content, sha256(content));
        Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(dir.resolve("README.md"), "not a model");
        assertEquals(List.of(a, b), ShippedWeights.shippedModels(dir));
    }

    @Test
    void theReferenceModelShipsPackedWithItsHash() throws IOException {
        assertTrue(ShippedWeights.shippedModels(RepoPaths.root().resolve("datasets")).contains(RepoPaths.referenceModel()),
                "datasets/reference-model ships model.safetensors.xz and model.safetensors.sha256");
        assertTrue(Files.isRegularFile(RepoPaths.referenceModel().resolve(ShippedWeights.HASH)));
    }

    private byte[] randomWeights() {
        // Half random, half repeated: both stored and compressed xz chunks are exercised.
        byte[] content = new byte[200_000 + random.nextInt(50_000)];
        byte[] noise = new byte[content.length / 2];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, content, 0, noise.length);
        for (int i = noise.length; i < content.length; i++) content[i] = (byte) (i % 7);
        return content;
    }

    /** A model folder holding only the packed weights and (unless null) the hash file. */
    private static Path shippedModel(Path folder, byte[] content, String recordedHash) throws IOException {
        Files.createDirectories(folder);
        try (OutputStream out = new XZOutputStream(Files.newOutputStream(folder.resolve(ShippedWeights.PACKED)), new LZMA2Options(1))) {
            out.write(content);
        }
        if (recordedHash != null) Files.writeString(folder.resolve(ShippedWeights.HASH), recordedHash + "  " + ShippedWeights.WEIGHTS + "\n");
        return folder;
    }

    private static String sha256(byte[] content) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
