package io.vecinfer.eval.task;

/**
 * A cell's requested batch: a fixed number of sequences decoded together, or {@link #AUTO}, as many of a
 * slice's sequences as the device has memory for ({@link io.vecinfer.decoder.ExecutionBackend#sequencesThatFit}). The request is
 * part of the cell (its identity hashes it); the batch a sample actually ran in is its row's {@code device_batch}.
 *
 * <p>{@link Cell#batchSize()} and the rows' {@code batch_size} column keep the request as an int, with
 * {@link #AUTO_CODE} (0) for auto, so that the cell's JSON and the Parquet column stay plain ints and the
 * hashes of existing fixed-size cells do not change; read them through {@link #of(int)}.
 *
 * @param sequences the fixed batch (≥ 1), or {@link #AUTO_CODE}
 */
public record BatchSize(int sequences) {
    /** How {@link Cell#batchSize()} and the {@code batch_size} column write auto. */
    public static final int AUTO_CODE = 0;
    /** How a sweep file writes auto. */
    public static final String AUTO_LABEL = "auto";
    public static final BatchSize AUTO = new BatchSize(AUTO_CODE);

    public BatchSize {
        if (sequences < 0) throw new IllegalArgumentException("batch size " + sequences + ": must be >= 1, or \"auto\"");
    }

    /** A fixed batch of {@code sequences} ≥ 1. */
    public static BatchSize fixed(int sequences) {
        if (sequences < 1) throw new IllegalArgumentException("batch size " + sequences + ": must be >= 1, or \"auto\"");
        return new BatchSize(sequences);
    }

    /** The request a cell's int encodes. */
    public static BatchSize of(int code) {
        return code == AUTO_CODE ? AUTO : fixed(code);
    }

    public boolean auto() {
        return sequences == AUTO_CODE;
    }

    /** The int a cell carries ({@link #AUTO_CODE} for auto). */
    public int code() {
        return sequences;
    }

    /** {@code "auto"} or the number, as sweep files write it. */
    @Override
    public String toString() {
        return auto() ? AUTO_LABEL : Integer.toString(sequences);
    }
}
