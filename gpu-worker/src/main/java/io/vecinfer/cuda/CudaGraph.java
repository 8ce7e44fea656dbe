package io.vecinfer.cuda;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * A recorded run of kernel launches, replayed by one cuGraphLaunch: the host cost of a decode step's hundreds of
 * launches becomes one call. Recorded by driver-API stream capture (cuStreamBeginCapture, cuStreamEndCapture,
 * cuGraphInstantiate) of what the calling thread launches through {@link CudaKernel} meanwhile.
 *
 * <p>A replay runs the launches with the parameters they had when recorded: grids, scalars and device addresses are
 * baked in. Whatever changes between replays must be read by the kernels from device memory, written before
 * {@link #replay}; and the recorded body may only launch kernels (no copies, allocations or synchronization: those
 * would go to the default stream, which a capture forbids).
 *
 * <p>Two streams: the capture stream is non-blocking, so that a capture never meets another thread's default-stream
 * work (an implicit synchronization with a capturing stream is an error); the replay stream is a blocking one, so a
 * replay is ordered after the default stream's copies that feed it and before the copies that read its results, as
 * the eager launches are.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaDevice device;
    private final CUstream captureStream = new CUstream(), replayStream = new CUstream();
    private CUgraphExec exec;

    public CudaGraph(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        JCudaDriver.cuStreamCreate(captureStream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        JCudaDriver.cuStreamCreate(replayStream, CUstream_flags.CU_STREAM_DEFAULT);
    }

    /**
     * Records the launches {@code body} makes on this thread, replacing what was recorded before; nothing runs. If the
     * body or the capture fails, nothing stays recorded and the failure is rethrown.
     */
    public void record(Runnable body) {
        device.makeCurrent();
        destroyExec();
        JCudaDriver.cuStreamBeginCapture(captureStream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        CUgraph graph = new CUgraph();
        RuntimeException failure = null;
        device.launchOn(captureStream);
        try {
            body.run();
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            device.launchOn(null);
            try {
                JCudaDriver.cuStreamEndCapture(captureStream, graph); // ends the capture even after a failure
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        try {
            if (failure != null) throw failure;
            CUgraphExec instance = new CUgraphExec();
            JCudaDriver.cuGraphInstantiate(instance, graph, 0);
            // Set up on the device now, not on the first launch (which would otherwise pay for it in its host time).
            JCudaDriver.cuGraphUpload(instance, replayStream);
            exec = instance;
        } finally {
            try {
                JCudaDriver.cuGraphDestroy(graph); // the instance keeps its own copy
            } catch (RuntimeException ignored) {
                // no graph came out of a failed capture
            }
        }
    }

    public boolean recorded() {
        return exec != null;
    }

    /** Runs the recorded launches, after the work queued on the default stream so far. */
    public void replay() {
        if (exec == null) throw new IllegalStateException("nothing recorded");
        device.makeCurrent();
        JCudaDriver.cuGraphLaunch(exec, replayStream);
        device.countLaunch();
    }

    private void destroyExec() {
        if (exec != null) JCudaDriver.cuGraphExecDestroy(exec);
        exec = null;
    }

    @Override
    public void close() {
        device.makeCurrent();
        destroyExec();
        JCudaDriver.cuStreamDestroy(captureStream);
        JCudaDriver.cuStreamDestroy(replayStream);
    }
}
