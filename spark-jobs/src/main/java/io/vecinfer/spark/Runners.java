package io.vecinfer.spark;

import io.vecinfer.cuda.decoder.CudaBackend;
import io.vecinfer.eval.task.CellRunner;
import io.vecinfer.eval.task.DatasetSampleCatalog;
import io.vecinfer.eval.task.ModelCellRunner;
import io.vecinfer.eval.task.SampleCatalog;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.lang.reflect.InvocationTargetException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@link CellRunner}s of this JVM (an executor, or the driver in local mode), one per
 * {@link RunnerKey}, each created on first use and closed at JVM exit, so that a model is loaded once
 * per executor and device, not once per task.
 *
 * <p>Calls to one runner are serialised because the contract does not promise thread safety and the
 * decoder already spreads one batch over the JVM's cores (or its GPU); runners of different GPUs run
 * side by side. Executors are meant to run one task per CPU runner or per GPU anyway
 * ({@code spark.executor.cores} = {@code spark.task.cpus}, or one GPU per task).
 *
 * <p>The driver plans with a {@link SampleCatalog} ({@link #catalog}), never with a runner: in local
 * mode the driver's JVM is also the executor, and a runner made for planning would be the wrong one
 * for a task on a GPU, and would load models the driver does not need.
 */
public final class Runners {
    /** Spark conf key naming the CPU runner class (tests set their own). */
    public static final String CONF_KEY = "spark.vecinfer.cellRunner";
    /** Spark conf key naming the GPU runner class: one with a static {@code create(int ordinal)}. */
    public static final String CUDA_CONF_KEY = "spark.vecinfer.cudaCellRunner";
    /** The worker's CPU runner. */
    public static final String DEFAULT_CLASS = "io.vecinfer.eval.task.CpuCellRunner";
    /** The worker's CUDA runner: a {@code ModelCellRunner} on a {@code CudaBackend} of the task's GPU. */
    public static final String DEFAULT_CUDA_CLASS = "io.vecinfer.eval.task.ModelCellRunner";

    /** The runner classes of a sweep: {@link #CONF_KEY} and {@link #CUDA_CONF_KEY}, defaulting to the worker's. */
    public record Classes(String cpu, String cuda) implements Serializable {
        public static final Classes DEFAULTS = new Classes(DEFAULT_CLASS, DEFAULT_CUDA_CLASS);

        public static Classes of(SparkConf conf) {
            return new Classes(conf.get(CONF_KEY, DEFAULT_CLASS), conf.get(CUDA_CONF_KEY, DEFAULT_CUDA_CLASS));
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Runners.class);
    private static final Map<RunnerKey, CellRunner> RUNNERS = new HashMap<>();

    private Runners() {
    }

    /**
     * The runner a task uses: with the cuda backend, the GPU runner of the GPU Spark assigned to the task
     * (the first if it has several; device 0 in local mode, which schedules no GPUs); otherwise, and for a
     * task without a GPU on a cluster, the CPU runner.
     */
    static RunnerKey forTask(Classes classes, SweepBackend backend, ResourceBinding binding) {
        if (backend != SweepBackend.CUDA) return new RunnerKey.Cpu(classes.cpu());
        String gpu = binding.gpuAddress();
        if (gpu.equals(ResourceBinding.NO_GPU)) {
            return binding.localMode() ? new RunnerKey.Gpu(classes.cuda(), 0) : new RunnerKey.Cpu(classes.cpu());
        }
        return RunnerKey.Gpu.ofAddress(classes.cuda(), gpu.split(",")[0]);
    }

    /** The JVM's runner of the key, created on first use. */
    public static CellRunner shared(RunnerKey key) {
        synchronized (RUNNERS) {
            CellRunner runner = RUNNERS.get(key);
            if (runner == null) {
                long began = System.nanoTime();
                runner = create(key);
                // The executor's log then names the device each of its runners bound.
                LOG.info("runner {} created in {} ms", key, (System.nanoTime() - began) / 1_000_000);
                Runtime.getRuntime().addShutdownHook(new Thread(runner::close, "close-cell-runner-" + key));
                RUNNERS.put(key, runner);
            }
            return runner;
        }
    }

    /** Uses the key's shared runner while holding its lock: one call at a time per runner. */
    public static <T> T withShared(RunnerKey key, Function<CellRunner, T> work) {
        CellRunner runner = shared(key);
        synchronized (runner) {
            return work.apply(runner);
        }
    }

    /**
     * What the driver lists sample ids with: the shipped tasks' catalog (config and tokenizer, no
     * weights) for the worker's runners, else a new instance of the configured runner class, which the
     * caller closes. It is not one of the JVM's shared runners.
     */
    static SampleCatalog catalog(Classes classes) {
        if (classes.cpu().equals(DEFAULT_CLASS)) return DatasetSampleCatalog.create();
        return create(new RunnerKey.Cpu(classes.cpu()));
    }

    /** A new runner: the worker's by their factories; another class by its public no-arg constructor or static create() (create(int) on a GPU). */
    static CellRunner create(RunnerKey key) {
        if (key instanceof RunnerKey.Gpu gpu) {
            if (gpu.runnerClass().equals(DEFAULT_CUDA_CLASS)) return ModelCellRunner.on(new CudaBackend(gpu.ordinal()));
            return createByReflection(gpu.runnerClass(), CUDA_CONF_KEY, gpu.ordinal());
        }
        if (key.runnerClass().equals(DEFAULT_CLASS)) return io.vecinfer.eval.task.CpuCellRunner.create();
        return createByReflection(key.runnerClass(), CONF_KEY, null);
    }

    /** @param ordinal the GPU's, for a GPU runner's static create(int); null for a CPU runner */
    private static CellRunner createByReflection(String className, String confKey, Integer ordinal) {
        Class<?> type;
        try {
            type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("cell runner class " + className + " is not on the classpath (set " + confKey + ")", e);
        }
        try {
            if (ordinal != null) return (CellRunner) type.getMethod("create", int.class).invoke(null, ordinal);
            try {
                return (CellRunner) type.getConstructor().newInstance();
            } catch (NoSuchMethodException e) {
                return (CellRunner) type.getMethod("create").invoke(null);
            }
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("cannot create cell runner " + className + ": " + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cell runner " + className + " is not available: " + (ordinal != null
                    ? "it needs a static create(int ordinal)" : "it needs a public no-arg constructor or a static create()")
                    + " and must implement CellRunner (set " + confKey + ")", e);
        }
    }
}
