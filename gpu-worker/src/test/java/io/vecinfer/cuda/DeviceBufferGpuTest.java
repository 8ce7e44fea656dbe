package io.vecinfer.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GPU: an allocation the device cannot hold says what was asked and what is free, and leaves the device usable. */
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
}
