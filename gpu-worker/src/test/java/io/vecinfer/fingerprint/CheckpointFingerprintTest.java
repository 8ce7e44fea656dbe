package io.vecinfer.fingerprint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class CheckpointFingerprintTest {
    @TempDir
    Path dir;

    private Path checkpoint(String name, long seed) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.writeString(folder.resolve("config.json"), "{\"hidden_size\": 64}");
        Files.writeString(folder.resolve("tokenizer.json"), "{\"model\": {}}");
        byte[] weights = new byte[1 << 18];
        new Random(seed).nextBytes(weights);
        Files.write(folder.resolve("model.safetensors"), weights);
        return folder;
    }

    @Test
    void theFingerprintFollowsContentNotPlace() throws Exception {
        FileHashes hashes = new FileHashes(null);
        Path here = checkpoint("here", 1);
        String original = CheckpointFingerprint.of(here, hashes);

        Path moved = Files.move(here, Files.createDirectories(dir.resolve("elsewhere")).resolve("renamed"));
        assertEquals(original, CheckpointFingerprint.of(moved, hashes), "a moved and renamed checkpoint is the same model");

        Files.writeString(moved.resolve("README.md"), "notes");
        assertEquals(original, CheckpointFingerprint.of(moved, hashes), "notes beside the weights do not count");

        try (RandomAccessFile weights = new RandomAccessFile(moved.resolve("model.safetensors").toFile(), "rw")) {
            weights.seek(1000);
            int b = weights.read();
            weights.seek(1000);
            weights.write(b ^ 0x10);
        }
        assertNotEquals(original, CheckpointFingerprint.of(moved, hashes), "one weight byte changed in place");

        Path sameConfigOtherWeights = checkpoint("retrained", 2);
        assertNotEquals(original, CheckpointFingerprint.of(sameConfigOtherWeights, hashes));
    }
}
