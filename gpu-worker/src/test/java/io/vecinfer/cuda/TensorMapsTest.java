package io.vecinfer.cuda;

import io.vecinfer.safetensors.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link TensorMaps}: where it cannot encode, it says why, naming the JVM options or the driver library that is missing
 * (checked in JVMs started without each option, and, on a machine without a driver, in this one); on a GPU, the driver
 * encodes a valid description into 128 bytes that depend on it, keeps the map for the next launch that describes the
 * same tensor, and refuses an invalid one with its CUresult and the description. That kernels read the maps right is WgmmaMatmulTest's (TMA against cp.async loads, bit for bit).
 */
class TensorMapsTest {

    @Test
    void aJvmWithoutTheForeignModuleOrNativeAccessIsToldWhichOptionToAdd() throws Exception {
        String noModule = probe(List.of());
        assertTrue(noModule.contains("without module jdk.incubator.foreign") && noModule.contains(TensorMaps.JVM_OPTIONS), noModule);
        String noAccess = probe(List.of("--add-modules=jdk.incubator.foreign"));
        assertTrue(noAccess.contains("native access is not enabled") && noAccess.contains("--enable-native-access=ALL-UNNAMED"), noAccess);
    }

    @Test
    void withoutADriverLibraryTheReasonNamesIt() {
        assumeTrue(CudaDevice.unavailableReason() != null, "this machine has a GPU: the driver library is there");
        String reason = TensorMaps.unavailableReason().orElseThrow(() -> new AssertionError("tensor maps claimed available without a GPU driver"));
        assertTrue(reason.contains(DriverTensorMapEncoder.DRIVER_LIBRARY), reason);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TensorMaps.encode2d(DType.BF16, 0x10000, 64, 128, 128, 64, 128, TensorMaps.Swizzle.BYTES_128));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void theDriverEncodesAValidBoxAndRefusesAnInvalidOne() {
        try (CudaDevice device = Gpu.device(); DeviceBuffer data = device.allocate(256L * 4096 * 2)) {
            assumeTrue(TensorMaps.unavailableReason().isEmpty(), () -> "tensor maps unavailable: " + TensorMaps.unavailableReason().get());
            TensorMap map = TensorMaps.encode2d(DType.BF16, data.address(), 4096, 256, 4096 * 2, 64, 128, TensorMaps.Swizzle.BYTES_128);
            byte[] bytes = map.bytes();
            assertEquals(TensorMap.BYTES, bytes.length);
            assertNotEquals(0, nonZero(bytes), "an encoded map is not all zeros");
            assertSame(map, TensorMaps.encode2d(DType.BF16, data.address(), 4096, 256, 4096 * 2, 64, 128, TensorMaps.Swizzle.BYTES_128),
                    "the same description: the map kept from the first encoding");
            byte[] elsewhere = TensorMaps.encode2d(DType.BF16, data.address() + 4096 * 2, 4096, 255, 4096 * 2, 64, 128, TensorMaps.Swizzle.BYTES_128).bytes();
            assertFalse(java.util.Arrays.equals(bytes, elsewhere), "a map describes its tensor: another address and shape, other bytes");
            // 128 bf16 = 256 bytes in a box row: wider than the 128-byte swizzle allows.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorMaps.encode2d(DType.BF16, data.address(), 4096, 256, 4096 * 2, 128, 128, TensorMaps.Swizzle.BYTES_128));
            assertTrue(e.getMessage().contains("CUresult") && e.getMessage().contains("box 128×128"), e.getMessage());
        }
    }

    private static int nonZero(byte[] bytes) {
        int n = 0;
        for (byte b : bytes) if (b != 0) n++;
        return n;
    }

    /** What {@link Probe} prints in a JVM started with {@code options} (and nothing else of this one's). */
    private static String probe(List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
        return output;
    }

    /** Prints why tensor maps cannot be encoded in this JVM, or "available". */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println(TensorMaps.unavailableReason().orElse("available"));
        }
    }
}
