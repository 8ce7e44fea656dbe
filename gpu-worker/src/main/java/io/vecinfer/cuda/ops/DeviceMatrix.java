package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;

/** A [rows, cols] weight on the device, in the checkpoint's stored type (F32, BF16 or F16), byte for byte. */
public record DeviceMatrix(DeviceBuffer data, DType dtype, int rows, int cols) implements AutoCloseable {

    /** Copies the matrix's stored bytes to the device as they are: the kernels widen them exactly as the CPU does. */
    public static DeviceMatrix upload(CudaDevice device, WeightMatrix w) {
        if (w.dtype() != DType.F32 && w.dtype() != DType.BF16 && w.dtype() != DType.F16) {
            throw new IllegalArgumentException("unsupported weight dtype " + w.dtype() + " (F32, BF16 or F16)");
        }
        var bytes = w.bytes();
        long expected = (long) w.rows() * w.cols() * w.dtype().bytes;
        if (bytes.remaining() != expected) {
            throw new IllegalArgumentException("weight of " + w.rows() + " × " + w.cols() + " " + w.dtype() + " holds "
                    + bytes.remaining() + " bytes, expected " + expected);
        }
        DeviceBuffer data = device.allocate(expected);
        try {
            data.write(bytes);
        } catch (RuntimeException e) {
            data.close();
            throw e;
        }
        return new DeviceMatrix(data, w.dtype(), w.rows(), w.cols());
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
