package io.vecinfer.spark;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A sweep's progress on the driver, said at a steady interval rather than per sample: cells and samples done
 * out of the sweep's total (the resumed ones included), this run's samples per second, and the time left at
 * that rate. Samples are counted as tasks end (Spark merges a task's accumulator when it ends), cells when
 * their job ends.
 */
final class SweepProgress implements AutoCloseable {
    private final int cells;
    private final long samples;
    private final long resumed;
    private final int resumedCells;
    private final LongSupplier committedNow;
    private final LongSupplier nanoTime;
    private final Consumer<String> sink;
    private final Map<String, Boolean> finishedCells = new ConcurrentHashMap<>();
    /** Failed cells by config hash, with the samples they had to run. */
    private final Map<String, Long> failedCells = new ConcurrentHashMap<>();
    private final long started;
    private ScheduledExecutorService timer;

    /**
     * @param resumedCells cells all of whose samples were committed before this run
     * @param committedNow samples committed by this run so far
     */
    SweepProgress(int cells, long samples, int resumedCells, long resumed, LongSupplier committedNow, LongSupplier nanoTime, Consumer<String> sink) {
        this.cells = cells;
        this.samples = samples;
        this.resumedCells = resumedCells;
        this.resumed = resumed;
        this.committedNow = committedNow;
        this.nanoTime = nanoTime;
        this.sink = sink;
        this.started = nanoTime.getAsLong();
    }

    /** Says what is resumed, then the progress every {@code interval} until closed. */
    SweepProgress start(Duration interval) {
        sink.accept(String.format("resuming: %d of %d samples (%d of %d cells) were committed before; %d samples to run",
                resumed, samples, resumedCells, cells, samples - resumed));
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vecinfer-sweep-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> sink.accept(line()), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    void cellFinished(String configHash) {
        finishedCells.put(configHash, true);
    }

    /** A cell whose job ended with its samples failed: not done, and no longer left to run. */
    void cellFailed(String configHash, long samples) {
        failedCells.put(configHash, samples);
    }

    /** e.g. {@code progress: 10/24 cells, 30/48 samples (18 resumed), 1.25 samples/s, ETA 0:00:14}. */
    String line() {
        long now = Math.min(committedNow.getAsLong(), samples - resumed);
        double seconds = (nanoTime.getAsLong() - started) / 1e9;
        double rate = seconds > 0 ? now / seconds : 0;
        long failed = failedCells.values().stream().mapToLong(Long::longValue).sum();
        long left = Math.max(0, samples - resumed - now - failed);
        String eta = left == 0 ? "0:00:00" : rate > 0 ? clock(Math.round(left / rate)) : "unknown";
        return String.format("progress: %d/%d cells%s, %d/%d samples (%d resumed), %.2f samples/s, ETA %s",
                resumedCells + finishedCells.size(), cells, failedCells.isEmpty() ? "" : " (" + failedCells.size() + " failed)",
                resumed + now, samples, resumed, rate, eta);
    }

    private static String clock(long seconds) {
        return String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    /** Stops the timer and says the last line. */
    @Override
    public void close() {
        if (timer != null) timer.shutdownNow();
        sink.accept(line());
    }
}
