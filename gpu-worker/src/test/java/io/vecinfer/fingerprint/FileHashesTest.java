package io.vecinfer.fingerprint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class FileHashesTest {
    @TempDir
    Path dir;

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void aFileIsReadOnceAcrossRunsThatShareTheCacheFile() throws Exception {
        byte[] content = new byte[3 << 20];
        new Random(5).nextBytes(content);
        Path file = Files.write(dir.resolve("model.safetensors"), content);
        Path cache = dir.resolve("cache/file-sha256.tsv");

        FileHashes first = new FileHashes(cache);
        assertEquals(sha256(content), first.of(file));
        assertEquals(sha256(content), first.of(file));
        assertEquals(1, first.filesRead());

        // A later run (a new instance on the same cache file) trusts the cached hash of the unchanged file.
        FileHashes later = new FileHashes(cache);
        assertEquals(sha256(content), later.of(file));
        assertEquals(0, later.filesRead());
    }

    @Test
    void aFileRewrittenInPlaceWithItsOldSizeAndMtimeIsReadAgain() throws Exception {
        byte[] content = new byte[1 << 16];
        new Random(6).nextBytes(content);
        Path file = Files.write(dir.resolve("w.safetensors"), content);
        Path cache = dir.resolve("file-sha256.tsv");
        FileTime mtime = Files.getLastModifiedTime(file);
        String before = new FileHashes(cache).of(file);

        Thread.sleep(20); // a change time the kernel can tell apart
        content[content.length / 2] ^= 1;
        Files.write(file, content);
        Files.setLastModifiedTime(file, mtime); // what an in-place edit that keeps the stamp looks like

        FileHashes later = new FileHashes(cache);
        String after = later.of(file);
        assertEquals(1, later.filesRead());
        assertEquals(sha256(content), after);
        assertNotEquals(before, after);
    }

    @Test
    void aDamagedCacheFileIsOnlyACacheMiss() throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"a\": 1}");
        Path cache = Files.writeString(dir.resolve("file-sha256.tsv"), "not\ta cache\nline\n");
        FileHashes hashes = new FileHashes(cache);
        assertEquals(sha256(Files.readAllBytes(file)), hashes.of(file));
        assertEquals(1, hashes.filesRead());
    }
}
