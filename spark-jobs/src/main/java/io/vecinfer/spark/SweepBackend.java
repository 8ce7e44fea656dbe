package io.vecinfer.spark;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where a sweep's tasks run: the sweep file's {@code backend}, parsed once when the file is read, so that an unknown
 * name is refused there, at its line, and the jobs past it compare types, not strings.
 */
public enum SweepBackend {
    /** The pure-Java decoder on the executor's cores (the default). */
    CPU,
    /** The CUDA decoder on the GPU Spark assigned the task (device 0 in local mode); the CPU for a task given none. */
    CUDA;

    /** The name the sweep file uses: {@code cpu} or {@code cuda}. */
    @JsonValue
    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The backend a sweep file names, or an error naming the known ones. */
    @JsonCreator
    public static SweepBackend parse(String text) {
        for (SweepBackend b : values()) if (b.fileName().equals(text)) return b;
        throw new IllegalArgumentException("unknown backend '" + text + "' (known: "
                + Arrays.stream(values()).map(SweepBackend::fileName).collect(Collectors.joining(", ")) + ")");
    }
}
