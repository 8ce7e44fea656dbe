package io.vecinfer.cuda;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The GPU of a test: {@code @RegisterExtension final GpuDevice gpu = new GpuDevice();} opens device 0 before each
 * test (skipping the test, with the reason, where there is none; see {@link Gpu}) and closes it after.
 */
public final class GpuDevice implements BeforeEachCallback, AfterEachCallback {
    private CudaDevice device;

    @Override
    public void beforeEach(ExtensionContext context) {
        device = Gpu.device();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (device != null) device.close();
        device = null;
    }

    public CudaDevice device() {
        return device;
    }
}
