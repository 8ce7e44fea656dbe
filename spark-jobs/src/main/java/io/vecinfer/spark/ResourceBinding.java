package io.vecinfer.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where a task runs: its executor, host, the GPU Spark assigned to it ("none" without GPU scheduling,
 * e.g. local mode), and whether Spark runs in local mode. Read inside the task, since only the task
 * knows its resources.
 */
public record ResourceBinding(String executorId, String host, String gpuAddress, boolean localMode) implements java.io.Serializable {
    /** The GPU address of a task Spark assigned no GPU. */
    public static final String NO_GPU = "none";

    public static ResourceBinding ofCurrentTask() {
        TaskContext task = TaskContext.get();
        String gpu = NO_GPU;
        if (task != null) {
            ResourceInformation info = task.resourcesJMap().get("gpu");
            if (info != null && info.addresses().length > 0) gpu = String.join(",", info.addresses());
        }
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "unknown" : env.executorId();
        String host = env == null ? "unknown" : env.blockManager().blockManagerId().host();
        boolean local = env != null && env.conf().get("spark.master", "").startsWith("local");
        return new ResourceBinding(executor, host, gpu, local);
    }
}
