package io.vecinfer.spark;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which runner a task gets: the GPU Spark assigned it with the cuda backend, the CPU otherwise. */
class RunnersTest {
    private static ResourceBinding task(String gpu, boolean local) {
        return new ResourceBinding("1", "host-a", gpu, local);
    }

    @Test
    void theCudaBackendBindsTheTasksGpu() {
        assertEquals("cuda:1", Runners.forTask(Runners.DEFAULT_CLASS, "cuda", task("1", false)));
        assertEquals("cuda:0", Runners.forTask(Runners.DEFAULT_CLASS, "cuda", task("0,3", false)), "the first of several addresses");
    }

    @Test
    void localModeSchedulesNoGpusSoTheCudaBackendUsesDeviceZero() {
        assertEquals("cuda:0", Runners.forTask(Runners.DEFAULT_CLASS, "cuda", task("none", true)));
    }

    @Test
    void aTaskWithoutAGpuOnAClusterRunsOnTheCpu() {
        assertEquals(Runners.DEFAULT_CLASS, Runners.forTask(Runners.DEFAULT_CLASS, "cuda", task("none", false)));
    }

    @Test
    void theCpuBackendAndTestRunnersIgnoreGpus() {
        assertEquals(Runners.DEFAULT_CLASS, Runners.forTask(Runners.DEFAULT_CLASS, "cpu", task("1", false)));
        assertEquals("my.TestRunner", Runners.forTask("my.TestRunner", "cuda", task("1", false)));
    }

    @Test
    void aGpuAddressThatIsNoOrdinalIsRefusedWithTheReason() {
        var e = assertThrows(IllegalStateException.class, () -> Runners.create("cuda:GPU-5f3a"));
        assertTrue(e.getMessage().contains("GPU address 'GPU-5f3a' is not a CUDA device ordinal"), e.getMessage());
    }
}
