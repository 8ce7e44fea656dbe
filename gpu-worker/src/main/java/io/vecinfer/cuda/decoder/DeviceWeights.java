package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.ops.DeviceMatrix;
import io.vecinfer.cuda.ops.GateUp;
import io.vecinfer.model.Weights;

import java.util.ArrayList;
import java.util.List;

/**
 * A model's {@link Weights} on the device, uploaded once: matrices in their stored type, norms and biases in fp32
 * (the same floats the CPU decoder holds). q, k and v are stacked into one [q + 2·kv, hidden] matrix and gate and
 * up into one [2·ffn, hidden], so each is one projection launch and one pass over the weights (decode reads every
 * weight byte once per step, and a 1024-row k or v projection alone would leave most of the GPU idle). gate|up's
 * rows are interleaved in blocks of 8 ({@link GateUp}), so that each hidden unit's gate and up meet in one thread of
 * the projection's epilogue, which applies SwiGLU there ({@link io.vecinfer.cuda.ops.Matmul#swiGlu}).
 * A tied lm_head is the embedding's device copy, not a second one.
 */
public final class DeviceWeights implements AutoCloseable {

    /**
     * One layer; qkvBias is null when the checkpoint has no q/k/v biases (zeros stand in for any one that is absent);
     * gateUp is interleaved ({@link GateUp}).
     */
    public record Layer(
            DeviceBuffer attentionNorm,
            DeviceMatrix qkv, DeviceBuffer qkvBias, DeviceMatrix wo,
            DeviceBuffer qNorm, DeviceBuffer kNorm,
            DeviceBuffer ffnNorm,
            DeviceMatrix gateUp, DeviceMatrix down) {
    }

    private final List<AutoCloseable> owned = new ArrayList<>();
    private final DeviceMatrix embedding;
    private final List<Layer> layers;
    private final DeviceBuffer finalNorm;
    private final DeviceMatrix lmHead;

    public DeviceWeights(CudaDevice device, Weights w) {
        try (GateUp.Uploader interleaving = new GateUp.Uploader(device)) {
            embedding = matrix(device, w.embedding());
            List<Layer> list = new ArrayList<>();
            for (Weights.Layer l : w.layers()) {
                list.add(new Layer(vector(device, l.attentionNorm()),
                        stacked(device, List.of(l.wq(), l.wk(), l.wv())), vector(device, qkvBias(l)), matrix(device, l.wo()),
                        vector(device, l.qNorm()), vector(device, l.kNorm()),
                        vector(device, l.ffnNorm()),
                        gateUp(interleaving, l.gate(), l.up()), matrix(device, l.down())));
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
        return stacked(device, List.of(w));
    }

    private DeviceMatrix gateUp(GateUp.Uploader uploader, io.vecinfer.tensor.WeightMatrix gate, io.vecinfer.tensor.WeightMatrix up) {
        DeviceMatrix m = uploader.upload(gate, up);
        owned.add(m);
        return m;
    }

    private DeviceMatrix stacked(CudaDevice device, List<io.vecinfer.tensor.WeightMatrix> parts) {
        DeviceMatrix m = DeviceMatrix.stacked(device, parts);
        owned.add(m);
        return m;
    }

    /** bq | bk | bv as one vector for the stacked projection, or null when none exists. */
    private static float[] qkvBias(Weights.Layer l) {
        if (l.bq() == null && l.bk() == null && l.bv() == null) return null;
        int q = l.wq().rows(), kv = l.wk().rows();
        float[] bias = new float[q + 2 * kv];
        if (l.bq() != null) System.arraycopy(l.bq(), 0, bias, 0, q);
        if (l.bk() != null) System.arraycopy(l.bk(), 0, bias, q, kv);
        if (l.bv() != null) System.arraycopy(l.bv(), 0, bias, q + kv, kv);
        return bias;
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
