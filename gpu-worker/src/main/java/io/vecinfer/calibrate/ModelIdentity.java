package io.vecinfer.calibrate;

import io.vecinfer.model.Model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A model's identity for codebook files: its folder name and a hash of its config.json. */
public final class ModelIdentity {
    private ModelIdentity() {
    }

    public static String of(Model model) {
        return of(model.name(), model.checkpoint().folder());
    }

    /**
     * The identity of the model in {@code folder} without loading its weights (named as
     * {@link Model#load} names it), for planners that name codebook files before any model is loaded.
     */
    public static String of(Path folder) {
        Path fileName = folder.toAbsolutePath().normalize().getFileName();
        return of(fileName == null ? folder.toString() : fileName.toString(), folder);
    }

    private static String of(String name, Path folder) {
        try {
            byte[] config = Files.readAllBytes(folder.resolve("config.json"));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(config);
            return name + "@" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
