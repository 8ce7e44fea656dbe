package io.vecinfer.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find the repository's shipped files, whichever module directory they run from. */
public final class RepoPaths {
    private RepoPaths() {
    }

    public static Path root() {
        String property = System.getProperty("vecinfer.repo");
        if (property != null && Files.isDirectory(Path.of(property, "datasets"))) return Path.of(property);
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("datasets"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("cannot find the repository root (a folder holding datasets/)");
        return dir;
    }

    public static Path referenceModel() {
        return root().resolve("datasets/reference-model");
    }

    public static Path fixtures() {
        return root().resolve("gpu-worker/src/test/resources/fixtures");
    }
}
