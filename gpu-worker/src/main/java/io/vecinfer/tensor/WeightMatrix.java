package io.vecinfer.tensor;

import io.vecinfer.safetensors.DType;

import java.nio.ByteBuffer;

/**
 * A [rows, cols] weight in its stored dtype (F32, BF16 or F16), read straight from the memory-mapped
 * checkpoint: nothing is converted or copied up front, so an 8B checkpoint opens in an instant.
 */
public final class WeightMatrix {
    private final ByteBuffer data;
    private final DType dtype;
    private final int rows;
    private final int cols;

    public WeightMatrix(ByteBuffer data, DType dtype, int rows, int cols) {
        this.data = data;
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public DType dtype() {
        return dtype;
    }

    /** The stored elements, row-major and little-endian as in the checkpoint: what a device copy uploads. */
    public ByteBuffer bytes() {
        return data.asReadOnlyBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    public float dot(DotKernel kernel, int row, float[] x, int xOffset) {
        int index = row * cols;
        return switch (dtype) {
            case F32 -> kernel.dotF32(data, index, x, xOffset, cols);
            case BF16 -> kernel.dotBF16(data, index, x, xOffset, cols);
            case F16 -> kernel.dotF16(data, index, x, xOffset, cols);
            default -> throw new IllegalStateException("unsupported weight dtype " + dtype);
        };
    }

    /** out[t, r] = Σ_c W[r, c] · x[t, c] for t < tokens; rows are split over the pool, each row meets every token while hot. */
    public void matmul(DotKernel kernel, float[] x, int tokens, float[] out) {
        Parallel.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int t = 0; t < tokens; t++) out[t * rows + r] = dot(kernel, r, x, t * cols);
            }
        });
    }

    /** Copies row r as float32 (embedding lookup). */
    public void row(int r, float[] out, int outOffset) {
        int index = r * cols;
        for (int c = 0; c < cols; c++) {
            out[outOffset + c] = switch (dtype) {
                case F32 -> data.getFloat(4 * (index + c));
                case BF16 -> Half.bf16ToFloat(data.getShort(2 * (index + c)));
                case F16 -> Half.toFloat(data.getShort(2 * (index + c)));
                default -> throw new IllegalStateException("unsupported weight dtype " + dtype);
            };
        }
    }
}
