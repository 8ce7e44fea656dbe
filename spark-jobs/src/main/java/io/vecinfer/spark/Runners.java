package io.vecinfer.spark;

import io.vecinfer.eval.task.CellRunner;

import java.lang.reflect.Method;
import java.util.List;
import java.util.function.Function;

/**
 * The one {@link CellRunner} of this JVM (an executor, or the driver in local mode), created on first
 * use and closed at JVM exit, so that a model is loaded once per executor, not once per task.
 *
 * <p>A runner is named by a key: the CPU runner's class, {@code cuda:ORDINAL} for a GPU's runner (both from
 * gpu-worker), or a test's own runner class set in {@link #CONF_KEY}, made by reflection. Calls are
 * serialised because the contract does not promise thread safety and the decoder already spreads one
 * batch over the JVM's cores; executors are meant to run one task at a time anyway
 * ({@code spark.executor.cores} = {@code spark.task.cpus}, or one GPU per task).
 */
public final class Runners {
    /** Spark conf key naming the runner class. */
    public static final String CONF_KEY = "spark.vecinfer.cellRunner";
    /** The worker's CPU runner. */
    public static final String DEFAULT_CLASS = "io.vecinfer.eval.task.CpuCellRunner";
    /** Runner keys of the CUDA backend: this prefix and the GPU ordinal. */
    static final String CUDA_PREFIX = "cuda:";

    private static CellRunner shared;
    private static String sharedClass;

    private Runners() {
    }

    /**
     * The runner a task uses: a configured test runner as is; with the cuda backend, the CUDA runner of
     * the GPU Spark assigned to the task (device 0 in local mode, which schedules no GPUs); otherwise,
     * and for a task without a GPU, the CPU runner.
     */
    static String forTask(String runnerClass, String backend, ResourceBinding binding) {
        if (!runnerClass.equals(DEFAULT_CLASS) || !backend.equals("cuda")) return runnerClass;
        String gpu = binding.gpuAddress();
        if (gpu.equals("none")) return binding.localMode() ? CUDA_PREFIX + 0 : DEFAULT_CLASS;
        return CUDA_PREFIX + gpu.split(",")[0];
    }

    /** The JVM's runner of the given key (a class name or cuda:ORDINAL); a JVM holds one runner for its lifetime. */
    public static synchronized CellRunner shared(String className) {
        if (shared == null) {
            CellRunner runner = create(className);
            Runtime.getRuntime().addShutdownHook(new Thread(runner::close, "close-cell-runner"));
            shared = runner;
            sharedClass = className;
        } else if (!sharedClass.equals(className)) {
            throw new IllegalStateException("this JVM already runs " + sharedClass + ", not " + className);
        }
        return shared;
    }

    /** Uses the shared runner while holding its lock: one call at a time per JVM. */
    public static <T> T withShared(String className, Function<CellRunner, T> work) {
        synchronized (Runners.class) {
            return work.apply(shared(className));
        }
    }

    public static List<String> sampleIds(String className, PlannedCell cell) {
        return withShared(className, runner -> runner.sampleIds(cell.cell(), cell.limit()));
    }

    /** A new runner: the class's public no-arg constructor, or its static create(). */
    static CellRunner create(String className) {
        if (className.startsWith(CUDA_PREFIX)) {
            String ordinal = className.substring(CUDA_PREFIX.length());
            if (!ordinal.matches("\\d+")) {
                throw new IllegalStateException("GPU address '" + ordinal + "' is not a CUDA device ordinal: the GPU discovery"
                        + " script must report ordinals such as 0 and 1 (see spark-jobs/conf/gpu-discovery.sh)");
            }
            return io.vecinfer.cuda.eval.CudaCellRunner.create(Integer.parseInt(ordinal));
        }
        if (className.equals(DEFAULT_CLASS)) return io.vecinfer.eval.task.CpuCellRunner.create();
        Class<?> type;
        try {
            type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("cell runner class " + className + " is not on the classpath (set " + CONF_KEY + ")", e);
        }
        try {
            return (CellRunner) type.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            return createFrom(type);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot create cell runner " + className, e);
        }
    }

    private static CellRunner createFrom(Class<?> type) {
        try {
            Method create = type.getMethod("create");
            return (CellRunner) create.invoke(null);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cell runner " + type.getName() + " is not available: neither a public no-arg constructor nor"
                    + " a static create() (set " + CONF_KEY + " to a CellRunner class)", e);
        }
    }
}
