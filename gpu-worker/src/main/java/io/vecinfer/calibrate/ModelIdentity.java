package io.vecinfer.calibrate;

import io.vecinfer.model.Model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A model's identity for codebook files: its folder name and a hash of its config.json. */
public final class ModelIdentity {
    private ModelIdentity() {
    }

    public static String of(Model model) {
        try {
            byte[] config = Files.readAllBytes(model.checkpoint().folder().resolve("config.json"));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(config);
            return model.name() + "@" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
