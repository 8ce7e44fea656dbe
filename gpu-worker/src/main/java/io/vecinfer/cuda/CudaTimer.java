package io.vecinfer.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/** GPU time between two points of the default stream, by CUDA events (for benchmarks, never for tests). */
public final class CudaTimer implements AutoCloseable {
    private final CudaDevice device;
    private final CUevent start = new CUevent();
    private final CUevent stop = new CUevent();

    public CudaTimer(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        JCudaDriver.cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        JCudaDriver.cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
    }

    public void start() {
        device.makeCurrent();
        JCudaDriver.cuEventRecord(start, null);
    }

    /** Records the end, waits for it, and returns the milliseconds since {@link #start}. */
    public float stopMillis() {
        device.makeCurrent();
        JCudaDriver.cuEventRecord(stop, null);
        JCudaDriver.cuEventSynchronize(stop);
        float[] ms = new float[1];
        JCudaDriver.cuEventElapsedTime(ms, start, stop);
        return ms[0];
    }

    @Override
    public void close() {
        device.makeCurrent();
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(stop);
    }
}
