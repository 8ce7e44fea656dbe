package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.ops.DeviceMatrix;
import io.vecinfer.model.Weights;

import java.util.ArrayList;
import java.util.List;

/**
 * A model's {@link Weights} on the device, uploaded once: matrices in their stored type, norms and biases in fp32
 * (the same floats the CPU decoder holds). A tied lm_head is the embedding's device copy, not a second one.
 */
public final class DeviceWeights implements AutoCloseable {

    public record Layer(
            DeviceBuffer attentionNorm,
            DeviceMatrix wq, DeviceMatrix wk, DeviceMatrix wv, DeviceMatrix wo,
            DeviceBuffer bq, DeviceBuffer bk, DeviceBuffer bv,
            DeviceBuffer qNorm, DeviceBuffer kNorm,
            DeviceBuffer ffnNorm,
            DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {
    }

    private final List<AutoCloseable> owned = new ArrayList<>();
    private final DeviceMatrix embedding;
    private final List<Layer> layers;
    private final DeviceBuffer finalNorm;
    private final DeviceMatrix lmHead;

    public DeviceWeights(CudaDevice device, Weights w) {
        try {
            embedding = matrix(device, w.embedding());
            List<Layer> list = new ArrayList<>();
            for (Weights.Layer l : w.layers()) {
                list.add(new Layer(vector(device, l.attentionNorm()),
                        matrix(device, l.wq()), matrix(device, l.wk()), matrix(device, l.wv()), matrix(device, l.wo()),
                        vector(device, l.bq()), vector(device, l.bk()), vector(device, l.bv()),
                        vector(device, l.qNorm()), vector(device, l.kNorm()),
                        vector(device, l.ffnNorm()),
                        matrix(device, l.gate()), matrix(device, l.up()), matrix(device, l.down())));
            }
            layers = List.copyOf(list);
            finalNorm = vector(device, w.finalNorm());
            lmHead = w.lmHead() == w.embedding() ? embedding : matrix(device, w.lmHead());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private DeviceMatrix matrix(CudaDevice device, io.vecinfer.tensor.WeightMatrix w) {
        DeviceMatrix m = DeviceMatrix.upload(device, w);
        owned.add(m);
        return m;
    }

    /** An optional vector (bias, q/k norm): null stays null, which the kernels read as absent. */
    private DeviceBuffer vector(CudaDevice device, float[] v) {
        if (v == null) return null;
        DeviceBuffer b = device.upload(v);
        owned.add(b);
        return b;
    }

    public DeviceMatrix embedding() {
        return embedding;
    }

    public List<Layer> layers() {
        return layers;
    }

    public DeviceBuffer finalNorm() {
        return finalNorm;
    }

    public DeviceMatrix lmHead() {
        return lmHead;
    }

    @Override
    public void close() {
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot free device weights: " + e.getMessage(), e);
            }
        }
        owned.clear();
    }
}
