package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.StepEvents;

import java.util.Arrays;

/**
 * Benchmarks only ({@link CudaDecoder#timeLayers}): at the start of each layer of an eager pass, and at the start of its
 * head, a CUDA event and the host's clock. Set side by side they say where a pass's time goes: a layer whose GPU span
 * is far longer than its neighbours' while the host issued it late is one the GPU waited for (the host stalled, e.g.
 * on a synchronizing call); one the host issued early and the GPU still took long is the GPU's own time.
 */
final class LayerClock implements AutoCloseable {
    private final StepEvents events;
    private final long[] hostNanos;

    /** Points 0..layers - 1: the layers' starts; point layers: the head's. */
    LayerClock(CudaDevice device, int layers) {
        events = new StepEvents(device, layers + 1);
        hostNanos = new long[layers + 1];
    }

    void mark(int point) {
        hostNanos[point] = System.nanoTime();
        events.mark(point);
    }

    /** Before a pass: its points are not marked yet. */
    void clear() {
        events.clear();
        Arrays.fill(hostNanos, 0L);
    }

    /** The last pass's points, in milliseconds from its first (waits for the GPU to pass the last); null if it marked none. */
    CudaDecoder.LayerTimeline read() {
        if (hostNanos[0] == 0L) return null;
        int points = hostNanos.length;
        float[] gpu = new float[points], host = new float[points];
        for (int p = 0; p < points; p++) {
            gpu[p] = events.millisBetween(0, p);
            host[p] = hostNanos[p] == 0L ? Float.NaN : (hostNanos[p] - hostNanos[0]) / 1e6f;
        }
        return new CudaDecoder.LayerTimeline(gpu, host);
    }

    @Override
    public void close() {
        events.close();
    }
}
