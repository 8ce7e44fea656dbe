package io.vecinfer.spark;

import java.nio.file.Path;

/**
 * Model and codebook paths in a sweep file are local paths that every executor can read (a shared or
 * replicated checkout). Relative ones are taken against the driver's working directory and made
 * absolute before cells are built, because executors run in other directories.
 */
final class LocalPaths {
    private LocalPaths() {
    }

    static Path resolve(String path) {
        return Path.of(path).toAbsolutePath().normalize();
    }

    static String absolute(String path) {
        return path == null ? null : resolve(path).toString();
    }
}
