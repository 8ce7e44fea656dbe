package io.vecinfer.quant.vq;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KMeansTest {
    private static final int DIMS = 4, CLUSTERS = 16;

    /** {@code count} points around {@link #CLUSTERS} random centres, spread 0.05 against centres spread 1. */
    private static float[] clustered(Random random, int count) {
        float[] centres = new float[CLUSTERS * DIMS];
        for (int i = 0; i < centres.length; i++) centres[i] = (float) random.nextGaussian();
        float[] points = new float[count * DIMS];
        for (int p = 0; p < count; p++) {
            int c = random.nextInt(CLUSTERS);
            for (int j = 0; j < DIMS; j++) points[p * DIMS + j] = centres[c * DIMS + j] + 0.05f * (float) random.nextGaussian();
        }
        return points;
    }

    private static double meanSquaredError(Codebook book, float[] points, int count) {
        double sum = 0;
        for (int p = 0; p < count; p++) {
            int c = book.nearest(points, p * DIMS);
            for (int j = 0; j < DIMS; j++) {
                double diff = points[p * DIMS + j] - book.word(c, j);
                sum += diff * diff;
            }
        }
        return sum / count;
    }

    @Test
    void sameSeedSameCodebookWhateverTheThreadCount() {
        int count = 9000; // several parallel chunks
        float[] points = clustered(new Random(21), count);
        Codebook one = KMeans.fit(points, count, DIMS, 64, new KMeansConfig(6, 42, 1));
        Codebook four = KMeans.fit(points, count, DIMS, 64, new KMeansConfig(6, 42, 4));
        assertArrayEquals(one.words(), four.words());
        Codebook otherSeed = KMeans.fit(points, count, DIMS, 64, new KMeansConfig(6, 43, 4));
        assertFalse(java.util.Arrays.equals(one.words(), otherSeed.words()), "the seed matters");
    }

    @Test
    void beatsARandomCodebookOnClusteredData() {
        Random random = new Random(22);
        int count = 3000;
        float[] points = clustered(random, count);
        Codebook fitted = KMeans.fit(points, count, DIMS, CLUSTERS, new KMeansConfig(20, 7, 2));
        float[] randomWords = new float[CLUSTERS * DIMS];
        for (int i = 0; i < randomWords.length; i++) randomWords[i] = (float) random.nextGaussian();
        double fittedError = meanSquaredError(fitted, points, count);
        double randomError = meanSquaredError(new Codebook(DIMS, CLUSTERS, randomWords), points, count);
        assertTrue(fittedError < 0.2 * randomError, "k-means " + fittedError + " vs random " + randomError);
        // With 16 well-separated clusters, k-means++ and Lloyd should land near the within-cluster noise (4 × 0.05²).
        assertTrue(fittedError < 0.05, "k-means error " + fittedError);
    }

    @Test
    void emptyClustersAreReseededWithoutNaNs() {
        // 5 distinct points repeated: 8 clusters cannot all keep members.
        int count = 50;
        float[] points = new float[count * DIMS];
        for (int p = 0; p < count; p++) for (int j = 0; j < DIMS; j++) points[p * DIMS + j] = (p % 5) * 10 + j;
        Codebook book = KMeans.fit(points, count, DIMS, 8, new KMeansConfig(5, 3, 1));
        for (float w : book.words()) assertTrue(Float.isFinite(w));
        assertEquals(0.0, meanSquaredError(book, points, count), 0.0, "every distinct point becomes a codeword");
    }
}
