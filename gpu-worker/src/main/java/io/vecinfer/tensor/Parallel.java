package io.vecinfer.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * The decoder's thread pool. Its size is -Dvecinfer.threads (default: all cores); a Spark executor that
 * runs one task per core sets it to 1 so that tasks, not threads, share the cores.
 */
public final class Parallel {
    private static final ForkJoinPool POOL = new ForkJoinPool(
            Integer.getInteger("vecinfer.threads", Runtime.getRuntime().availableProcessors()));

    private Parallel() {
    }

    public interface RangeBody {
        void run(int from, int to);
    }

    /** Runs body over [0, n) in chunks of at least {@code grain}, on the pool. */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.max(1, Math.min(POOL.getParallelism() * 4, n / Math.max(1, grain)));
        if (chunks == 1 || POOL.getParallelism() == 1) {
            body.run(0, n);
            return;
        }
        POOL.submit(() -> IntStream.range(0, chunks).parallel()
                .forEach(c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)))).join();
    }

    public static int threads() {
        return POOL.getParallelism();
    }
}
