package io.vecinfer.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: an allocation the device cannot hold says what was asked and what is free, and leaves the device usable; a
 * closed buffer's block is kept and reused by the next buffer of its size only (BlockCache), and given up when the
 * driver runs short.
 */
class DeviceBufferGpuTest {
    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @Test
    void anAllocationPastTheFreeMemoryNamesTheAskAndTheFreeBytes() {
        CudaDevice device = gpu.device();
        long asked = 2 * device.totalMemory();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> device.allocate(asked));
        String message = e.getMessage();
        assertTrue(message.contains("cannot allocate " + asked + " bytes on " + device), message);
        assertTrue(message.matches("(?s).*\\((\\d+) bytes free of " + device.totalMemory() + "\\).*"), message);
        long free = Long.parseLong(message.replaceAll("(?s).*\\((\\d+) bytes free of.*", "$1"));
        assertTrue(free > 0 && free <= device.totalMemory(), message);
        // The failed ask held nothing: a small allocation still works.
        try (DeviceBuffer small = device.allocate(1 << 20)) {
            assertTrue(small.bytes() == 1 << 20);
        }
    }

    @Test
    void aClosedBuffersBlockGoesToTheNextBufferOfItsSizeOnly() {
        CudaDevice device = gpu.device();
        device.releaseKeptBlocks();
        long held = device.allocatedBytes();
        SplittableRandom random = new SplittableRandom();
        int floats = 1 + random.nextInt(1 << 22);
        long bytes = (long) floats * Float.BYTES;
        DeviceBuffer first = device.allocate(bytes);
        long address = first.address();
        first.close();
        assertEquals(bytes, device.keptBytes(), "the closed buffer's block is kept");
        assertEquals(held, device.allocatedBytes(), "a kept block is not held by a buffer");
        try (DeviceBuffer other = device.allocate(bytes + 4)) {
            assertNotEquals(address, other.address(), "a block of another size is not reused");
            assertEquals(bytes, device.keptBytes());
        }
        float[] data = new float[floats];
        for (int i = 0; i < floats; i++) data[i] = (float) random.nextGaussian();
        try (DeviceBuffer again = device.allocate(bytes)) {
            assertEquals(address, again.address(), "the kept block of the same size is reused");
            assertEquals(bytes + 4, device.keptBytes(), "only the other size's block is left");
            again.write(data);
            assertArrayEquals(data, again.readFloats(), "a reused block reads back what was written");
        }
        device.releaseKeptBlocks();
        assertEquals(0, device.keptBytes());
        assertEquals(held, device.allocatedBytes());
    }

    @Test
    void keptBlocksAreGivenUpWhenTheDriverRunsShort() {
        CudaDevice device = gpu.device();
        device.releaseKeptBlocks();
        long free = device.freeMemory();
        device.allocate(free / 10 * 6).close(); // 60% of the free memory, kept
        assertTrue(device.keptBytes() >= free / 10 * 6);
        assertTrue(device.freeMemory() >= free - (256L << 20), "kept blocks count as free: " + device.freeMemory() + " of " + free);
        // 70% fits only once the kept 60% is freed: the first cuMemAlloc fails, the blocks are released, the retry succeeds.
        try (DeviceBuffer large = device.allocate(free / 10 * 7)) {
            assertEquals(free / 10 * 7, large.bytes());
            assertEquals(0, device.keptBytes(), "the kept blocks were released for it");
        }
        device.releaseKeptBlocks();
    }
}
