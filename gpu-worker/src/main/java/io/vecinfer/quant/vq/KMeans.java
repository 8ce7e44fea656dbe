package io.vecinfer.quant.vq;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * k-means with k-means++ init. Deterministic for a seed whatever the thread count: only per-point work
 * (nearest centroid, distance) runs in parallel, over fixed chunks, and every sum that feeds a random
 * draw or a centroid is taken sequentially in point order.
 */
public final class KMeans {
    private static final int CHUNK = 2048;

    private final float[] points;
    private final int count;
    private final int dims;
    private final int k;
    private final KMeansConfig config;
    private final int[] assignment;
    private final float[] distance;

    private KMeans(float[] points, int count, int dims, int k, KMeansConfig config) {
        this.points = points;
        this.count = count;
        this.dims = dims;
        this.k = k;
        this.config = config;
        assignment = new int[count];
        distance = new float[count];
    }

    /** Fits {@code k} centroids to {@code count} points of {@code dims} dims (row-major); needs count ≥ k. */
    public static Codebook fit(float[] points, int count, int dims, int k, KMeansConfig config) {
        if (count < k) throw new IllegalArgumentException("k-means: " + count + " points for " + k + " clusters");
        if (points.length < count * dims) throw new IllegalArgumentException("k-means: " + points.length + " floats for " + count + " points of " + dims);
        return new KMeans(points, count, dims, k, config).run();
    }

    private Codebook run() {
        ExecutorService pool = config.threads() > 1 ? Executors.newFixedThreadPool(config.threads()) : null;
        try {
            float[] centroids = initPlusPlus(pool, new SplittableRandom(config.seed()));
            for (int it = 0; it < config.iterations(); it++) {
                Codebook current = new Codebook(dims, k, centroids);
                float[] fixed = centroids;
                parallel(pool, i -> {
                    assignment[i] = current.nearest(points, i * dims);
                    distance[i] = squaredDistance(i, fixed, assignment[i]);
                });
                centroids = update();
            }
            return new Codebook(dims, k, centroids);
        } finally {
            if (pool != null) pool.shutdownNow();
        }
    }

    private float[] initPlusPlus(ExecutorService pool, SplittableRandom random) {
        float[] centroids = new float[k * dims];
        java.util.Arrays.fill(distance, Float.POSITIVE_INFINITY);
        int chosen = random.nextInt(count);
        for (int c = 0; c < k; c++) {
            System.arraycopy(points, chosen * dims, centroids, c * dims, dims);
            int newest = c;
            parallel(pool, i -> distance[i] = Math.min(distance[i], squaredDistance(i, centroids, newest)));
            if (c + 1 == k) break;
            double total = 0;
            for (int i = 0; i < count; i++) total += distance[i];
            // All points already coincide with centroids (repeated data): any point will do.
            chosen = total > 0 ? sample(random.nextDouble() * total) : random.nextInt(count);
        }
        return centroids;
    }

    private int sample(double target) {
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < count; i++) {
            if (distance[i] <= 0) continue;
            cumulative += distance[i];
            last = i;
            if (cumulative > target) return i;
        }
        return last;
    }

    private float[] update() {
        double[] sums = new double[k * dims];
        int[] members = new int[k];
        for (int i = 0; i < count; i++) {
            int c = assignment[i];
            members[c]++;
            for (int j = 0; j < dims; j++) sums[c * dims + j] += points[i * dims + j];
        }
        float[] centroids = new float[k * dims];
        boolean[] taken = new boolean[count];
        for (int c = 0; c < k; c++) {
            if (members[c] == 0) {
                // An empty cluster restarts at the point worst served by its centroid (lowest index on ties),
                // which is deterministic and splits the cluster that most needs it.
                int far = farthestUntaken(taken);
                taken[far] = true;
                System.arraycopy(points, far * dims, centroids, c * dims, dims);
            } else {
                for (int j = 0; j < dims; j++) centroids[c * dims + j] = (float) (sums[c * dims + j] / members[c]);
            }
        }
        return centroids;
    }

    private int farthestUntaken(boolean[] taken) {
        int best = -1;
        for (int i = 0; i < count; i++) if (!taken[i] && (best < 0 || distance[i] > distance[best])) best = i;
        return best;
    }

    private float squaredDistance(int point, float[] centroids, int c) {
        float d = 0f;
        for (int j = 0; j < dims; j++) {
            float diff = points[point * dims + j] - centroids[c * dims + j];
            d += diff * diff;
        }
        return d;
    }

    private void parallel(ExecutorService pool, IntConsumer perPoint) {
        if (pool == null || count <= CHUNK) {
            for (int i = 0; i < count; i++) perPoint.accept(i);
            return;
        }
        List<Future<?>> parts = new ArrayList<>();
        for (int start = 0; start < count; start += CHUNK) {
            int from = start, to = Math.min(count, start + CHUNK);
            parts.add(pool.submit(() -> {
                for (int i = from; i < to; i++) perPoint.accept(i);
            }));
        }
        try {
            for (Future<?> f : parts) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("k-means interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("k-means worker failed", e.getCause());
        }
    }
}
