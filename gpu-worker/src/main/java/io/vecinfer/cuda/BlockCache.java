package io.vecinfer.cuda;

import jcuda.driver.JCudaDriver;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Device blocks that closed {@link DeviceBuffer}s gave back, kept for the next allocation of the same size, as PyTorch's
 * caching allocator keeps them. Why: every {@code cuMemFree} synchronizes the device and a {@code cuMemAlloc} costs tens
 * of microseconds, and a prefill of eight fresh sequences grows 512 cache rings (32 layers × keys and values × 8): on
 * the H200 that cost 50 ms of a 293 ms 8 × 1024 prefill of the 8B shape (decoder-speed-notes.md, session 15). An
 * evaluation allocates the same sizes sample after sample (rings of a power of two positions, activations of a
 * chunk's rows), so exact sizes are enough: no splitting, no rounding.
 *
 * <p>Reuse is safe in stream order: a block given back may still be read by a queued kernel, and the next owner's
 * kernels and copies go to the legacy default stream (or streams that synchronize with it: a graph's replay stream), so
 * they run after it. The blocks stay this process's until {@link #release}: {@link CudaDevice#freeMemory} counts them
 * as free, and an allocation the driver refuses releases them and tries once more.
 */
final class BlockCache {
    private final Map<Long, ArrayDeque<DeviceBuffer.AddressedPointer>> blocks = new HashMap<>();
    private long bytes;

    /** A kept block of exactly {@code size} bytes, or null. */
    synchronized DeviceBuffer.AddressedPointer take(long size) {
        ArrayDeque<DeviceBuffer.AddressedPointer> same = blocks.get(size);
        if (same == null || same.isEmpty()) return null;
        bytes -= size;
        return same.pop();
    }

    synchronized void keep(long size, DeviceBuffer.AddressedPointer block) {
        blocks.computeIfAbsent(size, s -> new ArrayDeque<>()).push(block);
        bytes += size;
    }

    /** Bytes held in kept blocks. */
    synchronized long bytes() {
        return bytes;
    }

    /** Frees every kept block (the device's context must be current). */
    synchronized void release() {
        for (ArrayDeque<DeviceBuffer.AddressedPointer> same : blocks.values()) {
            for (DeviceBuffer.AddressedPointer block : same) JCudaDriver.cuMemFree(block);
        }
        blocks.clear();
        bytes = 0;
    }
}
