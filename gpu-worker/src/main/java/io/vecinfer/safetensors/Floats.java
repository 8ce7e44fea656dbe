package io.vecinfer.safetensors;

import io.vecinfer.tensor.Half;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Reads float tensors of any float dtype into float32 arrays. */
final class Floats {
    private Floats() {
    }

    static float[] toFloatArray(TensorInfo info, ByteBuffer bytes, Path file) {
        if (info.elements() > Integer.MAX_VALUE) {
            throw new SafeTensorsException(file + ": tensor '" + info.name() + "' is too large to read into an array");
        }
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) info.elements()];
        switch (info.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < out.length; i++) out[i] = Half.toFloat(b.getShort(2 * i));
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) out[i] = Half.bf16ToFloat(b.getShort(2 * i));
            }
            default -> throw new SafeTensorsException(file + ": tensor '" + info.name() + "' has dtype "
                    + info.dtype() + ", expected F32, F16 or BF16");
        }
        return out;
    }
}
