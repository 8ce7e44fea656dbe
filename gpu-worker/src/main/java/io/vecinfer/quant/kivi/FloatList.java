package io.vecinfer.quant.kivi;

import java.util.Arrays;

/** A growing float array: KIVI's per-group zero points and scales. */
final class FloatList {
    private float[] data = new float[64];
    private int size;

    void add(float[] values) {
        if (size + values.length > data.length) data = Arrays.copyOf(data, Math.max(2 * data.length, size + values.length));
        System.arraycopy(values, 0, data, size, values.length);
        size += values.length;
    }

    float get(int i) {
        return data[i];
    }

    int size() {
        return size;
    }
}
