package io.vecinfer.eval.metrics;

/**
 * LongBench-E's context-length buckets, over a length in words: LongBench records' {@code length} field,
 * or {@link #words} of a prompt for tasks whose data has none. The project's one bucket definition: rows'
 * {@code context_bucket} and LongBench-E scores both come from here.
 */
public enum LengthBucket {
    UP_TO_4K("0-4k"),
    FROM_4K_TO_8K("4-8k"),
    FROM_8K("8k+");

    private final String label;

    LengthBucket(String label) {
        this.label = label;
    }

    /** LongBench-E's key for the bucket in its result.json. */
    public String label() {
        return label;
    }

    /** Words as LongBench's {@code length} counts English text: runs of non-whitespace ({@code len(text.split())}). */
    public static int words(String text) {
        String stripped = text.strip();
        return stripped.isEmpty() ? 0 : stripped.split("\\s+").length;
    }

    public static LengthBucket of(int length) {
        if (length < 4000) {
            return UP_TO_4K;
        }
        return length < 8000 ? FROM_4K_TO_8K : FROM_8K;
    }
}
