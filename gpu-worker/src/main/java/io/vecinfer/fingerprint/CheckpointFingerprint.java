package io.vecinfer.fingerprint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a checkpoint folder computes, as one hash: the name, size and content sha256 of each of its
 * top-level {@code .json} and {@code .safetensors} files (config, tokenizer, weights, shard index), in
 * name order. File names are relative, so a model moved or copied elsewhere keeps its fingerprint;
 * changing one weight in place changes it. Contents come through {@link FileHashes}, so a checkpoint is
 * read whole only when one of its files changed. READMEs, logs and scripts beside the weights do not count.
 */
public final class CheckpointFingerprint {
    private CheckpointFingerprint() {
    }

    /** The full sha256 (64 hex digits) of the folder's fingerprint lines. */
    public static String of(Path folder) {
        return of(folder, FileHashes.shared());
    }

    public static String of(Path folder, FileHashes hashes) {
        List<String> lines = new ArrayList<>();
        for (Path file : files(folder)) {
            try {
                lines.add(file.getFileName() + "\t" + Files.size(file) + "\t" + hashes.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
            }
        }
        if (lines.isEmpty()) throw new IllegalArgumentException(folder + ": no .json or .safetensors files to identify the model by");
        return FileHashes.sha256Of(lines);
    }

    private static List<Path> files(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String name = p.getFileName().toString();
                return !name.startsWith(".") && (name.endsWith(".json") || name.endsWith(".safetensors"));
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot list the checkpoint folder: " + e.getMessage(), e);
        }
    }
}
