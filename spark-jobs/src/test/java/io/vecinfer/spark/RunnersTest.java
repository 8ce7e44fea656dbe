package io.vecinfer.spark;

import io.vecinfer.eval.task.CellRunner;
import io.vecinfer.spark.testing.HashCellRunner;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which runner a task gets (the GPU Spark assigned it with the cuda backend, the CPU otherwise), and how many a JVM holds. */
class RunnersTest {
    private static final Runners.Classes WORKER = Runners.Classes.DEFAULTS;
    private static final Runners.Classes STAND_INS = new Runners.Classes(HashCellRunner.class.getName(), HashCellRunner.class.getName());

    private static ResourceBinding task(String gpu, boolean local) {
        return new ResourceBinding("1", "host-a", gpu, local);
    }

    @Test
    void theCudaBackendBindsTheTasksGpu() {
        assertEquals(new RunnerKey.Gpu(Runners.DEFAULT_CUDA_CLASS, 1), Runners.forTask(WORKER, SweepBackend.CUDA, task("1", false)));
        assertEquals(new RunnerKey.Gpu(Runners.DEFAULT_CUDA_CLASS, 0), Runners.forTask(WORKER, SweepBackend.CUDA, task("0,3", false)), "the first of several addresses");
    }

    @Test
    void localModeSchedulesNoGpusSoTheCudaBackendUsesDeviceZero() {
        assertEquals(new RunnerKey.Gpu(Runners.DEFAULT_CUDA_CLASS, 0), Runners.forTask(WORKER, SweepBackend.CUDA, task(ResourceBinding.NO_GPU, true)));
    }

    @Test
    void aTaskWithoutAGpuOnAClusterRunsOnTheCpu() {
        assertEquals(new RunnerKey.Cpu(Runners.DEFAULT_CLASS), Runners.forTask(WORKER, SweepBackend.CUDA, task(ResourceBinding.NO_GPU, false)));
    }

    @Test
    void theCpuBackendIgnoresGpus() {
        assertEquals(new RunnerKey.Cpu(Runners.DEFAULT_CLASS), Runners.forTask(WORKER, SweepBackend.CPU, task("1", false)));
        assertEquals(new RunnerKey.Cpu(HashCellRunner.class.getName()), Runners.forTask(STAND_INS, SweepBackend.CPU, task("1", false)));
    }

    @Test
    void aGpuAddressThatIsNoOrdinalIsRefusedWithTheReason() {
        var e = assertThrows(IllegalStateException.class, () -> Runners.forTask(WORKER, SweepBackend.CUDA, task("GPU-5f3a", false)));
        assertTrue(e.getMessage().contains("GPU address 'GPU-5f3a' is not a CUDA device ordinal"), e.getMessage());
    }

    @Test
    void anExecutorWithSeveralGpusHoldsOneRunnerPerGpuBesideItsCpuRunner() {
        RunnerKey gpu0 = Runners.forTask(STAND_INS, SweepBackend.CUDA, task("0", false));
        RunnerKey gpu1 = Runners.forTask(STAND_INS, SweepBackend.CUDA, task("1", false));
        RunnerKey cpu = Runners.forTask(STAND_INS, SweepBackend.CUDA, task(ResourceBinding.NO_GPU, false));
        CellRunner first = Runners.shared(gpu0);
        assertSame(first, Runners.shared(gpu0), "one runner per GPU, reused by its tasks");
        assertNotSame(first, Runners.shared(gpu1));
        assertNotSame(first, Runners.shared(cpu));
        assertNotSame(Runners.shared(gpu1), Runners.shared(cpu));
    }

    @Test
    void aGpuRunnerClassWithoutCreateIntSaysWhatItNeeds() {
        var e = assertThrows(IllegalStateException.class, () -> Runners.create(new RunnerKey.Gpu(String.class.getName(), 0)));
        assertTrue(e.getMessage().contains("static create(int ordinal)") && e.getMessage().contains(Runners.CUDA_CONF_KEY), e.getMessage());
    }
}
