package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaUnavailableException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Asking for a GPU that is not there fails at once, saying why: no driver or device (CI), or an ordinal past the devices. */
class CudaBackendTest {

    @Test
    void withoutAGpuTheBackendSaysSo() {
        assumeTrue(CudaDevice.deviceCount() == 0, "this machine has a GPU: the no-GPU message cannot be checked here");
        var e = assertThrows(CudaUnavailableException.class, () -> new CudaBackend(0));
        assertTrue(e.getMessage().startsWith("cannot use CUDA device 0: "), e.getMessage());
    }

    @Test
    void anOrdinalPastTheDevicesIsNamed() {
        int devices = CudaDevice.deviceCount();
        assumeTrue(devices > 0, "no CUDA device: the ordinal check needs one");
        var e = assertThrows(CudaUnavailableException.class, () -> new CudaBackend(devices));
        assertTrue(e.getMessage().contains("CUDA device " + devices + " does not exist: this process sees " + devices), e.getMessage());
    }
}
