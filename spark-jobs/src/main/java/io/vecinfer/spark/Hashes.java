package io.vecinfer.spark;

import io.vecinfer.fingerprint.FileHashes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The sha256 digests that name things in a sweep's output (config hashes, codebook files). */
final class Hashes {
    /** Hex digits kept in names: 64 bits, collision-free for any realistic number of cells or files. */
    static final int NAME_LENGTH = 16;

    private Hashes() {
    }

    /** The first {@link #NAME_LENGTH} hex digits of the sha256 of the text's UTF-8 bytes. */
    static String name(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8)).substring(0, NAME_LENGTH);
    }

    /** The full sha256 of a file's content (through the cache of {@link FileHashes}). */
    static String ofFile(Path file) {
        return FileHashes.sha256(file);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
