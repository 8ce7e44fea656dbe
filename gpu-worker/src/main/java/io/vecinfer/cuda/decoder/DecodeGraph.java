package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaGraph;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * CudaDecoder's decode steps as a CUDA graph: the layers of a batch-path step ({@link DecodeBatch}) launch the same
 * kernels with the same parameters every step, so after one eager step of a shape the next is recorded and from then
 * on replayed by one launch. Everything that changes between steps is in device memory that CudaDecoder writes before
 * (token ids, rotary tables, the batch attention's positions and ring tables).
 *
 * <p>A recording is valid for one {@link Shape}: the activation buffers (their addresses are baked in), the row count
 * (the batch size: grids and row counts are baked in), the kind of batch step ({@link DecodeBatch#step}: dense or VQ)
 * and its {@link DecodeBatch#generation} (its tables, plan and scratch). Another shape is first run eagerly, then recorded when it comes again; a batch that grows and
 * shrinks each step would thus never be recorded, which costs only the eager launches. Steps of more than
 * {@link #MAX_ROWS} rows are never recorded: their projections take Matmul's gemm path, whose fp16 copy of the
 * activations lives in a scratch that a later, bigger prefill may move.
 *
 * <p>The eager step before a recording loads the kernel modules and sizes every scratch, so the recorded body only
 * launches kernels. If recording fails anyway, the decoder says so once and stays eager.
 */
final class DecodeGraph implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DecodeGraph.class.getName());
    /** Rows up to which every projection is on Matmul's skinny path (no scratch), as Matmul.SKINNY_MAX_ROWS. */
    static final int MAX_ROWS = 32;

    /** What a recording is valid for (see the class comment); identity of the activations, values of the rest. */
    record Shape(Object activations, int rows, Object attentionStep, int attentionGeneration) {
    }

    private final CudaDevice device;
    private boolean enabled = !"false".equalsIgnoreCase(System.getProperty("vecinfer.cuda.graphs"));
    private CudaGraph graph;
    private Shape seen, recorded;

    DecodeGraph(CudaDevice device) {
        this.device = device;
    }

    void enable(boolean on) {
        enabled = on;
        if (!on) forget();
    }

    /** Runs {@code step} (the layers of a step of this shape): eagerly, or recorded and replayed; true when replayed. */
    boolean run(Shape shape, Runnable step) {
        if (!enabled || shape.rows() > MAX_ROWS) {
            step.run();
            return false;
        }
        if (!shape.equals(recorded)) {
            if (!shape.equals(seen)) { // first sight: eager, which also warms up what a recording may not do
                seen = shape;
                step.run();
                return false;
            }
            try {
                if (graph == null) graph = new CudaGraph(device);
                graph.record(step);
                recorded = shape;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "recording a decode step as a CUDA graph failed; decode steps stay eager", e);
                enabled = false;
                forget();
                step.run();
                return false;
            }
        }
        graph.replay();
        return true;
    }

    private void forget() {
        seen = recorded = null;
        if (graph != null) graph.close();
        graph = null;
    }

    @Override
    public void close() {
        forget();
    }
}
