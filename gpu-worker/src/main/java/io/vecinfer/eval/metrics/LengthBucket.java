package io.vecinfer.eval.metrics;

/** LongBench-E's context-length buckets, over the records' {@code length} field (words). */
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

    public static LengthBucket of(int length) {
        if (length < 4000) {
            return UP_TO_4K;
        }
        return length < 8000 ? FROM_4K_TO_8K : FROM_8K;
    }
}
