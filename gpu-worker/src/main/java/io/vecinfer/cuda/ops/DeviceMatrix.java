package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;

import java.util.List;

/** A [rows, cols] weight on the device, in the checkpoint's stored type (F32, BF16 or F16), byte for byte. */
public record DeviceMatrix(DeviceBuffer data, DType dtype, int rows, int cols) implements AutoCloseable {

    /** Copies the matrix's stored bytes to the device as they are: the kernels widen them exactly as the CPU does. */
    public static DeviceMatrix upload(CudaDevice device, WeightMatrix w) {
        return stacked(device, List.of(w));
    }

    /**
     * The parts' rows one after the other, as one [Σ rows, cols] matrix (q|k|v, gate|up): one projection launch
     * then reads all of them in one pass. The parts must share dtype and column count.
     */
    public static DeviceMatrix stacked(CudaDevice device, List<WeightMatrix> parts) {
        WeightMatrix first = parts.get(0);
        if (first.dtype() != DType.F32 && first.dtype() != DType.BF16 && first.dtype() != DType.F16) {
            throw new IllegalArgumentException("unsupported weight dtype " + first.dtype() + " (F32, BF16 or F16)");
        }
        int rows = 0;
        for (WeightMatrix w : parts) {
            if (w.dtype() != first.dtype() || w.cols() != first.cols()) {
                throw new IllegalArgumentException("cannot stack a " + w.rows() + " × " + w.cols() + " " + w.dtype() + " weight under a "
                        + first.rows() + " × " + first.cols() + " " + first.dtype() + " one");
            }
            long expected = (long) w.rows() * w.cols() * w.dtype().bytes;
            if (w.bytes().remaining() != expected) {
                throw new IllegalArgumentException("weight of " + w.rows() + " × " + w.cols() + " " + w.dtype() + " holds "
                        + w.bytes().remaining() + " bytes, expected " + expected);
            }
            rows += w.rows();
        }
        DeviceBuffer data = device.allocate((long) rows * first.cols() * first.dtype().bytes);
        try {
            long at = 0;
            for (WeightMatrix w : parts) {
                data.write(w.bytes(), at);
                at += (long) w.rows() * w.cols() * w.dtype().bytes;
            }
        } catch (RuntimeException e) {
            data.close();
            throw e;
        }
        return new DeviceMatrix(data, first.dtype(), rows, first.cols());
    }

    /** The kernel-name suffix of this dtype: f32, bf16 or f16. */
    String suffix() {
        return dtype.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void close() {
        data.close();
    }
}
