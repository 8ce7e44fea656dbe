package io.vecinfer.safetensors;

import java.util.Arrays;

/** One tensor's header entry: its byte range is relative to the start of the data section. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }
}
