package io.vecinfer.cuda.ops;

import io.vecinfer.model.Rope;

import java.util.Arrays;

/**
 * A pass's rotary tables ({@link RotaryEmbedding.Tables}) from rows kept by position: each position's cos and sin are
 * computed once, by {@link Rope#angles} (bit for bit the CPU's, whichever frequency scaling), and copied after. Why:
 * computing them costs a cosine and a sine per frequency pair on the host while the GPU waits, 6–7 ms for a 4096-token
 * pass of head_dim 128 (every pass of every prefill, before its first kernel), 12 µs for a decode step at batch 8. The
 * decoder also calls {@link #prefetch} once a step is issued, so the next step's new positions are computed while the
 * GPU runs. The kept rows take 4 × head_dim bytes a position, up to the largest position asked for (100 MB at 196k
 * positions of head_dim 128).
 */
public final class RotaryRows {
    private final Rope rope;
    private final int half;
    /** cos then sin of each position computed so far (half floats each), null where none was asked for. */
    private float[][] rows = new float[0][];
    /** Rope.angles' output for one new position, before it is packed into its row. */
    private final float[] cos, sin;

    public RotaryRows(Rope rope, int headDim) {
        this.rope = rope;
        this.half = headDim / 2;
        this.cos = new float[half];
        this.sin = new float[half];
    }

    /** The tables of tokens at {@code positions}. */
    public RotaryEmbedding.Tables at(int[] positions) {
        float[] cos = new float[positions.length * half], sin = new float[positions.length * half];
        for (int r = 0; r < positions.length; r++) {
            float[] row = row(positions[r]);
            System.arraycopy(row, 0, cos, r * half, half);
            System.arraycopy(row, half, sin, r * half, half);
        }
        return new RotaryEmbedding.Tables(cos, sin);
    }

    /** Computes the rows of {@code positions} (the next step's) that were never asked for. */
    public void prefetch(int[] positions) {
        for (int position : positions) row(position);
    }

    private float[] row(int position) {
        if (position < 0) throw new IllegalArgumentException("position " + position);
        if (position >= rows.length) rows = Arrays.copyOf(rows, Math.max(position + 1, 2 * rows.length));
        float[] row = rows[position];
        if (row == null) {
            rope.angles(position, cos, sin);
            row = new float[2 * half];
            System.arraycopy(cos, 0, row, 0, half);
            System.arraycopy(sin, 0, row, half, half);
            rows[position] = row;
        }
        return row;
    }
}
