package io.vecinfer.calibrate;

import io.vecinfer.fingerprint.CheckpointFingerprint;
import io.vecinfer.model.Model;

import java.nio.file.Path;

/**
 * A model's identity for codebook files: its checkpoint's content fingerprint ({@link CheckpointFingerprint}),
 * not its folder name or config alone, so that codebooks fitted on other weights with the same config
 * are refused, and a checkpoint moved or renamed keeps its codebooks.
 */
public final class ModelIdentity {
    /** Hex digits of the fingerprint kept: 64 bits, as for the other names in an output. */
    private static final int LENGTH = 16;

    private ModelIdentity() {
    }

    public static String of(Model model) {
        return of(model.checkpoint().folder());
    }

    /** The identity of the checkpoint in {@code folder}, without loading its weights (their hashes are cached). */
    public static String of(Path folder) {
        return "sha256:" + CheckpointFingerprint.of(folder.toAbsolutePath().normalize()).substring(0, LENGTH);
    }
}
