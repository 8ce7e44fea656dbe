package io.vecinfer.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/**
 * CUDA events at fixed points of a step, on the default stream, for benchmarks that split a step's GPU time into
 * phases (e.g. CudaDecoder's uploads, layers, head): {@link #mark} point i as the step passes it, then after the step
 * {@link #millisBetween} two points. A point records after everything queued before it on the default stream, and a
 * graph replayed on a blocking stream is ordered with it, so the spans hold eager and replayed work alike.
 */
public final class StepEvents implements AutoCloseable {
    private final CudaDevice device;
    private final CUevent[] events;
    private final boolean[] marked;

    public StepEvents(CudaDevice device, int points) {
        this.device = device;
        device.makeCurrent();
        events = new CUevent[points];
        marked = new boolean[points];
        for (int i = 0; i < points; i++) {
            events[i] = new CUevent();
            JCudaDriver.cuEventCreate(events[i], CUevent_flags.CU_EVENT_DEFAULT);
        }
    }

    /** Point {@code i} is reached: records its event on the default stream. */
    public void mark(int i) {
        device.makeCurrent();
        JCudaDriver.cuEventRecord(events[i], null);
        marked[i] = true;
    }

    /** GPU milliseconds from point {@code from} to point {@code to} of the last step (waits for {@code to}); NaN if either was not marked. */
    public float millisBetween(int from, int to) {
        if (!marked[from] || !marked[to]) return Float.NaN;
        device.makeCurrent();
        JCudaDriver.cuEventSynchronize(events[to]);
        float[] ms = new float[1];
        JCudaDriver.cuEventElapsedTime(ms, events[from], events[to]);
        return ms[0];
    }

    /** Forgets the marks, before a new step. */
    public void clear() {
        java.util.Arrays.fill(marked, false);
    }

    @Override
    public void close() {
        device.makeCurrent();
        for (CUevent e : events) JCudaDriver.cuEventDestroy(e);
    }
}
