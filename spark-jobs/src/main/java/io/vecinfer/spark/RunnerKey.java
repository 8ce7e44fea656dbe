package io.vecinfer.spark;

import java.io.Serializable;

/**
 * Which {@link io.vecinfer.eval.task.CellRunner} a task runs on: a runner class on the CPU, or a runner
 * class on one GPU. {@link Runners} keeps one runner per key, so an executor given several GPUs holds
 * one runner per GPU, beside its CPU runner.
 */
public sealed interface RunnerKey extends Serializable permits RunnerKey.Cpu, RunnerKey.Gpu {

    /** The runner class: the CPU runner's, or the one made for a GPU ordinal. */
    String runnerClass();

    /** The runner of the CPU backend, or a test's runner class. */
    record Cpu(String runnerClass) implements RunnerKey {
        @Override
        public String toString() {
            return "cpu (" + runnerClass + ")";
        }
    }

    /** The runner of the GPU with this CUDA ordinal. */
    record Gpu(String runnerClass, int ordinal) implements RunnerKey {
        public Gpu {
            if (ordinal < 0) throw new IllegalArgumentException("a CUDA device ordinal is >= 0, not " + ordinal);
        }

        /** The GPU that Spark assigned as {@code address}: the discovery script must report CUDA ordinals. */
        static Gpu ofAddress(String runnerClass, String address) {
            if (!address.matches("\\d{1,9}")) {
                throw new IllegalStateException("GPU address '" + address + "' is not a CUDA device ordinal: the GPU discovery"
                        + " script must report ordinals such as 0 and 1 (see spark-jobs/conf/gpu-discovery.sh)");
            }
            return new Gpu(runnerClass, Integer.parseInt(address));
        }

        @Override
        public String toString() {
            return "cuda:" + ordinal + " (" + runnerClass + ")";
        }
    }
}
