package io.vecinfer.spark;

import org.apache.spark.SparkConf;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether executors will have GPUs. On a cluster that is what Spark schedules
 * ({@code spark.executor.resource.gpu.amount}); local mode cannot schedule GPUs, so there the probe is
 * whether this machine has an NVIDIA device at all.
 *
 * @param present whether a GPU is there
 * @param how     how that was decided, for the error message
 */
public record GpuPresence(boolean present, String how) {

    public static GpuPresence of(SparkConf conf) {
        double amount = Double.parseDouble(conf.get("spark.executor.resource.gpu.amount", "0"));
        if (amount > 0) return new GpuPresence(true, "spark.executor.resource.gpu.amount=" + conf.get("spark.executor.resource.gpu.amount"));
        if (conf.get("spark.master", "").startsWith("local")) {
            boolean device = Files.exists(Path.of("/dev/nvidia0"));
            return new GpuPresence(device, device ? "/dev/nvidia0 exists (local mode)"
                    : "local mode and this machine has no /dev/nvidia0");
        }
        return new GpuPresence(false, "spark.executor.resource.gpu.amount is not set (executors get no GPU)");
    }
}
