package io.vecinfer.cuda;

import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Page-locked host memory through which a step's small inputs (token ids, rotary rows, attention tables) reach the
 * device by asynchronous copies, queued in order with the launches. A synchronous copy from pageable memory holds the
 * host for the whole transfer while the GPU, having finished the previous step, waits; a decode step made four of them
 * (0.12 ms at batch 1, 0.3 ms at batch 8, measured in decode-attention-notes.md). From pinned memory the copy is one
 * DMA the GPU runs before the next launch, and the host goes on issuing.
 *
 * <p>Use: {@link #begin} returns the bytes to fill (it first waits until the copies queued from them last time have
 * run, so they are never overwritten in flight), {@link #copy} queues a part of them to a device buffer.
 */
public final class PinnedStaging implements AutoCloseable {
    private final CudaDevice device;
    private final CUevent copied = new CUevent();
    private Pointer host;
    private ByteBuffer bytes;
    private boolean pending, closed;

    public PinnedStaging(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        JCudaDriver.cuEventCreate(copied, CUevent_flags.CU_EVENT_DISABLE_TIMING);
    }

    /**
     * The staging bytes (little-endian, position 0, limit {@code count}), at least {@code count} long, once the copies
     * queued out of them before have run. Until it has to grow, it is the same buffer with what was written before still
     * in it (a caller may rewrite only what changed); growing returns a new one (its bytes undefined) and frees the old block only
     * after those copies.
     */
    public ByteBuffer begin(long count) {
        if (closed) throw new IllegalStateException("pinned staging used after close");
        device.makeCurrent();
        if (pending) JCudaDriver.cuEventSynchronize(copied);
        pending = false;
        if (bytes == null || bytes.capacity() < count) {
            free();
            long size = Math.max(4096, Long.highestOneBit(Math.max(1, count - 1)) << 1);
            host = new Pointer();
            try {
                JCudaDriver.cuMemAllocHost(host, size);
            } catch (RuntimeException e) {
                host = null;
                throw new IllegalStateException("cannot pin " + size + " bytes of host memory for " + device + ": " + e.getMessage(), e);
            }
            bytes = host.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
        }
        return bytes.clear().limit(Math.toIntExact(count));
    }

    /**
     * Queues a copy of the staging bytes [{@code from}, {@code from + count}) to {@code target} at {@code targetByte},
     * on the stream the calling thread launches to: it runs after the launches queued before it and before those after.
     */
    public void copy(long from, long count, DeviceBuffer target, long targetByte) {
        if (bytes == null || from < 0 || count < 0 || from + count > bytes.capacity()) {
            throw new IllegalArgumentException("bytes [" + from + ", " + (from + count) + ") outside the staging of "
                    + (bytes == null ? 0 : bytes.capacity()) + " bytes (begin first)");
        }
        if (targetByte < 0 || targetByte + count > target.bytes()) {
            throw new IllegalArgumentException("copy of " + count + " bytes to byte " + targetByte + " of a buffer of " + target.bytes());
        }
        if (count == 0) return;
        device.makeCurrent();
        JCudaDriver.cuMemcpyHtoDAsync(target.pointer().withByteOffset(targetByte), host.withByteOffset(from), count, device.launchStream());
        JCudaDriver.cuEventRecord(copied, device.launchStream());
        pending = true;
    }

    private void free() {
        if (host == null) return;
        JCudaDriver.cuMemFreeHost(host);
        host = null;
        bytes = null;
    }

    @Override
    public void close() {
        if (closed) return;
        device.makeCurrent();
        if (pending) JCudaDriver.cuEventSynchronize(copied);
        free();
        JCudaDriver.cuEventDestroy(copied);
        closed = true;
    }
}
