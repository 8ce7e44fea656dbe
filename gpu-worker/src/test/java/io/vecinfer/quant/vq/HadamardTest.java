package io.vecinfer.quant.vq;

import io.vecinfer.quant.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HadamardTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8, 16, 64, 128})
    void isOrthonormal(int d) {
        float[][] h = new float[d][];
        for (int i = 0; i < d; i++) {
            h[i] = new float[d];
            h[i][i] = 1f;
            Hadamard.transform(h[i], 0, d); // row i of H (H is symmetric)
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) dot += h[i][c] * h[j][c];
                assertEquals(i == j ? 1.0 : 0.0, dot, 1e-6, "(H·Hᵀ)[" + i + "][" + j + "]");
            }
            for (int c = 0; c < d; c++) assertEquals(1 / Math.sqrt(d), Math.abs(h[i][c]), 1e-7);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 32, 128})
    void preservesNormAndIsItsOwnInverse(int d) {
        Random random = new Random(11 + d);
        float[] x = TestData.gaussian(random, d + 3);
        float[] y = x.clone();
        Hadamard.transform(y, 3, d);
        double before = 0, after = 0;
        for (int i = 3; i < d + 3; i++) {
            before += x[i] * x[i];
            after += y[i] * y[i];
        }
        assertEquals(before, after, 1e-5 * before);
        for (int i = 0; i < 3; i++) assertEquals(x[i], y[i], 0f, "outside the range is untouched");
        Hadamard.transform(y, 3, d);
        for (int i = 0; i < d + 3; i++) assertEquals(x[i], y[i], 1e-5f);
    }

    @Test
    void rejectsLengthsThatAreNotPowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> Hadamard.transform(new float[12], 0, 12));
    }
}
