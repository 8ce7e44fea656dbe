package io.vecinfer.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GPU: staged bytes land where copied, are not overwritten in flight by the next begin, and survive the staging's growth. */
class PinnedStagingGpuTest {
    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();
    private final RandomInputs random = new RandomInputs();

    @Test
    void copiesLandAtTheirOffsetsAndTheNextBeginWaitsForThem() {
        CudaDevice device = gpu.device();
        int n = 1 + random.ints(1, 50_000)[0], split = random.ints(1, n)[0];
        int[] first = random.ints(n, Integer.MAX_VALUE), second = random.ints(4 * n, Integer.MAX_VALUE);
        try (PinnedStaging staging = new PinnedStaging(device); DeviceBuffer a = device.allocate(4L * n + 64);
             DeviceBuffer b = device.allocate(4L * n); DeviceBuffer c = device.allocate(16L * n)) {
            ByteBuffer bytes = staging.begin(4L * n);
            assertEquals(4L * n, bytes.remaining());
            bytes.asIntBuffer().put(first);
            staging.copy(0, 4L * split, a, 64); // the head of the ints to byte 64 of a
            staging.copy(4L * split, 4L * (n - split), b, 0); // the rest to the start of b
            // No synchronization: begin must wait for the copies above before handing out the bytes again (and, 4x
            // larger, pins a new block: the old one is freed only after them).
            staging.begin(16L * n).asIntBuffer().put(second);
            staging.copy(0, 16L * n, c, 0);
            assertArrayEquals(Arrays.copyOfRange(first, 0, split), a.readInts(16, split), "first copy, " + random);
            assertArrayEquals(Arrays.copyOfRange(first, split, n), b.readInts(0, n - split), "second copy, " + random);
            assertArrayEquals(second, c.readInts(0, 4 * n), "after growing, " + random);
            // The same bytes again, in place: a third begin waits for the copy to c, then overwrites.
            staging.begin(4).putInt(0, 7);
            staging.copy(0, 4, c, 0);
            assertEquals(7, c.readInts(0, 1)[0]);
            assertEquals(second[1], c.readInts(1, 1)[0]);
        }
    }

    @Test
    void aCopyOutsideTheStagingOrTheTargetNamesTheBytes() {
        CudaDevice device = gpu.device();
        try (PinnedStaging staging = new PinnedStaging(device); DeviceBuffer small = device.allocate(16)) {
            IllegalArgumentException before = assertThrows(IllegalArgumentException.class, () -> staging.copy(0, 4, small, 0));
            assertTrue(before.getMessage().contains("begin first"), before.getMessage());
            staging.begin(64);
            IllegalArgumentException target = assertThrows(IllegalArgumentException.class, () -> staging.copy(0, 32, small, 0));
            assertTrue(target.getMessage().contains("32 bytes to byte 0 of a buffer of 16"), target.getMessage());
            IllegalArgumentException source = assertThrows(IllegalArgumentException.class, () -> staging.copy(-1, 4, small, 0));
            assertTrue(source.getMessage().contains("[-1, 3)"), source.getMessage());
        }
    }
}
