package io.vecinfer.spark.testing;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.CellRunner;
import io.vecinfer.eval.task.SampleResult;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A real, deterministic CellRunner for tests of the Spark side: each sample's scores are derived from
 * the sha256 of what determines them (model, method, task, context length, seed, sample id; not the
 * batch size, as for a real decoder), so any two runs agree. System property
 * {@code vecinfer.test.sleepMs} makes each sample take that long, to leave time to kill an executor.
 *
 * <p>{@link #create(int)} makes it the stand-in for a GPU's runner ({@code spark.vecinfer.cudaCellRunner}):
 * its rows say cuda and the device, and a batch larger than {@link #DEVICE_BATCH_LIMIT} fails as the CUDA
 * backend's allocation does when the GPU's memory is exhausted; an auto batch there is that limit (on the CPU, 1,
 * as the CPU backend's). Every call is recorded ({@link #calls}): the slice a task handed it and the batches it ran.
 */
public final class HashCellRunner implements CellRunner {
    /** Samples per task when the sweep gives no limit. */
    public static final int TASK_SIZE = 12;
    /** The largest batch the stand-in GPU has memory for. */
    public static final int DEVICE_BATCH_LIMIT = 4;
    /** What each sample of a batch asks of the stand-in GPU, and what it has free. */
    public static final long BYTES_PER_SAMPLE = 3L << 30, DEVICE_FREE_BYTES = 12L << 30;

    /** One call of {@link #run}: the cell, how many samples the task gave, and the batches they ran in. */
    public record Call(Cell cell, int slice, List<Integer> batches) {
    }

    private static final List<Call> CALLS = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final String backend;
    private final String device;
    private final Integer gpuOrdinal;

    /** The CPU runner. */
    public HashCellRunner() {
        this("cpu", "test-cpu", null);
    }

    private HashCellRunner(String backend, String device, Integer gpuOrdinal) {
        this.backend = backend;
        this.device = device;
        this.gpuOrdinal = gpuOrdinal;
    }

    /** The runner of stand-in GPU {@code ordinal}. */
    public static HashCellRunner create(int ordinal) {
        return new HashCellRunner("cuda", "cuda:" + ordinal + " (test)", ordinal);
    }

    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        int n = limit == 0 ? TASK_SIZE : Math.min(limit, TASK_SIZE);
        // Passkey ids as datasets/passkey names them (context tokens, key depth in percent, index), so the report has depths to plot.
        if (cell.task().equals("passkey")) {
            int tokens = cell.contextLength() == 0 ? 512 : cell.contextLength();
            return IntStream.range(0, n).mapToObj(i -> String.format("passkey-%d-d%03d-%d", tokens, (i % 5) * 25, i / 5)).toList();
        }
        return IntStream.range(0, n).mapToObj(i -> String.format("%s-%03d", cell.task(), i)).toList();
    }

    /** The calls of every HashCellRunner of this JVM since the last {@link #clearCalls}, in order. */
    public static List<Call> calls() {
        return List.copyOf(CALLS);
    }

    public static void clearCalls() {
        CALLS.clear();
    }

    @Override
    public List<SampleResult> run(Cell cell, List<String> sampleIds) {
        long sleep = Long.getLong("vecinfer.test.sleepMs", 0);
        int batch = cell.batch().auto() ? (gpuOrdinal != null ? DEVICE_BATCH_LIMIT : 1) : cell.batch().sequences();
        if (gpuOrdinal != null && batch > DEVICE_BATCH_LIMIT) {
            // The message DeviceBuffer gives when cuMemAlloc fails, in the type it throws.
            long asked = batch * BYTES_PER_SAMPLE;
            throw new IllegalStateException("cannot allocate " + asked + " bytes on cuda:" + gpuOrdinal + " (" + DEVICE_FREE_BYTES
                    + " bytes free): CUDA_ERROR_OUT_OF_MEMORY");
        }
        List<SampleResult> results = new ArrayList<>();
        List<Integer> batches = new ArrayList<>();
        for (int start = 0; start < sampleIds.size(); start += batch) {
            List<String> ids = sampleIds.subList(start, Math.min(sampleIds.size(), start + batch));
            batches.add(ids.size());
            long batchBegan = System.nanoTime();
            List<SampleResult> done = new ArrayList<>();
            for (String id : ids) {
                long began = System.nanoTime();
                if (sleep > 0) sleepFor(sleep);
                done.add(result(cell, id, (System.nanoTime() - began) / 1e6));
            }
            double millis = (System.nanoTime() - batchBegan) / 1e6;
            done.forEach(r -> results.add(r.inBatch(ids.size(), millis)));
        }
        CALLS.add(new Call(cell, sampleIds.size(), List.copyOf(batches)));
        return results;
    }

    /** The scores a sample must get: what the tests compare the written rows to. */
    public static Map<String, Double> expectedScores(Cell cell, String sampleId) {
        byte[] h = sha256(cell.model() + "|" + cell.method() + "|" + cell.task() + "|" + cell.contextLength() + "|" + cell.seed() + "|" + sampleId);
        double nll = 1.0 + (h[0] & 0xff) / 64.0 + (h[1] & 0xff) / 16384.0;
        return cell.task().equals("passkey") ? Map.of("accuracy", (double) (h[2] & 1)) : Map.of("nll", nll, "tokens", 64.0);
    }

    private SampleResult result(Cell cell, String id, double millis) {
        int contextTokens = cell.contextLength() == 0 ? 256 : cell.contextLength();
        double bytesPerToken = cell.method().startsWith("fp32") ? 8192 : cell.method().startsWith("fp16") ? 4096 : 1024;
        return new SampleResult(id, expectedScores(cell, id), "pred-" + id, "ref-" + id, contextTokens,
                io.vecinfer.eval.metrics.LengthBucket.of(contextTokens * 3 / 4).label(),
                millis, millis / 8 + 0.01, 8, (long) (bytesPerToken * contextTokens), bytesPerToken, 4096 / bytesPerToken, 1L << 30, backend, device);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleepFor(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
    }
}
