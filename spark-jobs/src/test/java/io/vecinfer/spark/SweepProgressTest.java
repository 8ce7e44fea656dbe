package io.vecinfer.spark;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress lines: totals with the resumed part, this run's rate and the time left at it, at a steady interval. */
class SweepProgressTest {
    @Test
    void countsRateAndTimeLeft() {
        AtomicLong committed = new AtomicLong(), clock = new AtomicLong(0);
        List<String> said = new CopyOnWriteArrayList<>();
        SweepProgress progress = new SweepProgress(24, 48, 6, 12, committed::get, clock::get, said::add);
        assertEquals("progress: 6/24 cells, 12/48 samples (12 resumed), 0.00 samples/s, ETA unknown", progress.line());

        clock.set(20_000_000_000L); // 20 s later: 10 more samples, 2 more cells
        committed.set(10);
        progress.cellFinished("a");
        progress.cellFinished("b");
        progress.cellFinished("b");
        // 0.5 samples/s; 26 left: 52 s
        assertEquals("progress: 8/24 cells, 22/48 samples (12 resumed), 0.50 samples/s, ETA 0:00:52", progress.line());

        clock.set(40_000_000_000L); // a cell of 6 samples fails: not done, and no longer left
        committed.set(20);
        progress.cellFailed("c", 6);
        assertEquals("progress: 8/24 cells (1 failed), 32/48 samples (12 resumed), 0.50 samples/s, ETA 0:00:20", progress.line());

        clock.set(60_000_000_000L);
        committed.set(30);
        assertTrue(progress.line().endsWith("42/48 samples (12 resumed), 0.50 samples/s, ETA 0:00:00"), progress.line());
    }

    @Test
    void saysWhatIsResumedThenALineAtEachIntervalAndTheLastOnClose() throws Exception {
        List<String> said = new CopyOnWriteArrayList<>();
        AtomicLong committed = new AtomicLong();
        try (SweepProgress progress = new SweepProgress(4, 10, 1, 3, committed::get, System::nanoTime, said::add).start(Duration.ofMillis(50))) {
            Thread.sleep(400);
            committed.set(7);
            progress.cellFinished("x");
        }
        assertEquals("resuming: 3 of 10 samples (1 of 4 cells) were committed before; 7 samples to run", said.get(0));
        long lines = said.stream().filter(s -> s.startsWith("progress: ")).count();
        assertTrue(lines >= 4 && lines <= 12, "one line per 50 ms over 400 ms, not one per sample: " + said);
        assertTrue(said.get(said.size() - 1).startsWith("progress: 2/4 cells, 10/10 samples (3 resumed)"), said.toString());
    }
}
