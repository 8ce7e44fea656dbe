package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.cuda.ops.DeviceMatrix;
import io.vecinfer.cuda.ops.GateUp;
import io.vecinfer.model.Model;
import io.vecinfer.model.Weights;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GPU: what DeviceWeights puts on the device, byte for byte: gate|up interleaved as {@link GateUp#interleave} orders it
 * on the host (whose order GateUpLayoutTest checks), q|k|v stacked; and {@link GateUp#upload}'s pieces on a matrix of
 * more than one 16 MB staging piece with a partial last block (hidden 1028), in bf16 and fp32.
 */
class DeviceWeightsTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @Test
    void theReferenceModelsGateUpIsInterleavedAndQkvStacked() {
        try (Model model = Model.load(RepoPaths.referenceModel()); DeviceWeights weights = new DeviceWeights(gpu.device(), model.weights())) {
            for (int layer = 0; layer < model.config().numLayers(); layer++) {
                Weights.Layer l = model.weights().layers().get(layer);
                DeviceWeights.Layer d = weights.layers().get(layer);
                assertArrayEquals(bytes(GateUp.interleave(l.gate(), l.up()).bytes()), bytes(d.gateUp()), "gate|up of layer " + layer);
                assertEquals(2 * l.gate().rows(), d.gateUp().rows());
                assertEquals(l.gate().cols(), d.gateUp().cols());
                byte[] qkv = bytes(d.qkv()), expected = new byte[qkv.length];
                int at = 0;
                for (WeightMatrix w : List.of(l.wq(), l.wk(), l.wv())) {
                    byte[] part = bytes(w.bytes());
                    System.arraycopy(part, 0, expected, at, part.length);
                    at += part.length;
                }
                assertArrayEquals(expected, qkv, "q|k|v of layer " + layer);
            }
        }
    }

    @Test
    void anUploadOfSeveralPiecesIsTheHostCopy() {
        CudaDevice device = gpu.device();
        for (DType dtype : new DType[]{DType.BF16, DType.F32}) {
            int hidden = 1028, cols = 4104; // bf16: 16.9 MB interleaved, two pieces; fp32: 33.7 MB, three
            WeightMatrix gate = random.matrix(dtype, hidden, cols, 1), up = random.matrix(dtype, hidden, cols, 1);
            try (DeviceMatrix uploaded = GateUp.upload(device, gate, up)) {
                assertEquals(dtype, uploaded.dtype());
                assertArrayEquals(bytes(GateUp.interleave(gate, up).bytes()), bytes(uploaded), dtype + ", " + random);
            }
        }
    }

    private static byte[] bytes(DeviceMatrix m) {
        long n = (long) m.rows() * m.cols() * m.dtype().bytes;
        short[] s = m.data().readShorts(0, Math.toIntExact(n / 2));
        byte[] out = new byte[s.length * 2];
        for (int i = 0; i < s.length; i++) { // little-endian, as the host buffers
            out[2 * i] = (byte) s[i];
            out[2 * i + 1] = (byte) (s[i] >> 8);
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
