package io.vecinfer.cuda;

import org.junit.jupiter.api.Assumptions;

/** GPU tests skip themselves, naming the reason, where no CUDA device is present (CI, laptops). */
public final class Gpu {
    private Gpu() {
    }

    /** Device 0, or a skipped test when none is usable. The caller closes it. */
    public static CudaDevice device() {
        String reason = CudaDevice.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "GPU test skipped: " + reason);
        return CudaDevice.open(0);
    }
}
