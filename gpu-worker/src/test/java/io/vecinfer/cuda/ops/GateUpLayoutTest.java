package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPU: {@link GateUp}'s interleaved gate|up layout (rows 16i..16i+7 gate rows 8i..8i+7, rows 16i+8..16i+15 up rows
 * 8i..8i+7; a last partial block of w units takes w gate rows then w up rows), the host copy that follows it, and the
 * references built on it: an interleaved product is the stacked product with its columns moved, and SwiGLU of it is
 * SwiGLU of separate gate and up, bit for bit.
 */
class GateUpLayoutTest {
    private final RandomInputs random = new RandomInputs();

    @Test
    void wholeBlocksAlternateEightGatesAndEightUps() {
        int hidden = 24;
        for (int u = 0; u < hidden; u++) {
            int block = u / 8;
            assertEquals(16 * block + u % 8, GateUp.gateColumn(u, hidden), "gate of unit " + u);
            assertEquals(16 * block + 8 + u % 8, GateUp.upColumn(u, hidden), "up of unit " + u);
        }
        assertEquals(15, GateUp.upColumn(7, hidden));
        assertEquals(16, GateUp.gateColumn(8, hidden));
    }

    @Test
    void aPartialLastBlockTakesItsGatesThenItsUps() {
        int hidden = 20; // blocks of 8, 8 and 4 units
        assertEquals(32, GateUp.gateColumn(16, hidden));
        assertEquals(35, GateUp.gateColumn(19, hidden));
        assertEquals(36, GateUp.upColumn(16, hidden));
        assertEquals(39, GateUp.upColumn(19, hidden));
        assertEquals(2, GateUp.gateColumn(2, 3));
        assertEquals(5, GateUp.upColumn(2, 3), "one partial block of 3 units: gates 0-2, ups 3-5");
        assertThrows(IndexOutOfBoundsException.class, () -> GateUp.gateColumn(20, hidden));
        assertThrows(IndexOutOfBoundsException.class, () -> GateUp.upColumn(-1, hidden));
    }

    /** Every column of the product is one unit's gate or up, once, whatever the hidden size. */
    @Test
    void everyColumnHoldsOneGateOrOneUp() {
        for (int hidden = 1; hidden <= 70; hidden++) {
            int[] seen = new int[2 * hidden];
            for (int u = 0; u < hidden; u++) {
                seen[GateUp.gateColumn(u, hidden)]++;
                seen[GateUp.upColumn(u, hidden)]++;
            }
            for (int c = 0; c < seen.length; c++) assertEquals(1, seen[c], "column " + c + " of hidden " + hidden);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void theHostCopyMovesWholeRows(DType dtype) {
        for (int hidden : new int[]{8, 20, 3}) {
            int cols = 12;
            WeightMatrix gate = random.matrix(dtype, hidden, cols, 1), up = random.matrix(dtype, hidden, cols, 1);
            WeightMatrix w = GateUp.interleave(gate, up);
            assertEquals(2 * hidden, w.rows());
            assertEquals(cols, w.cols());
            assertEquals(dtype, w.dtype());
            assertEquals(2L * hidden * cols * dtype.bytes, w.bytes().remaining());
            for (int u = 0; u < hidden; u++) {
                assertArrayEquals(row(gate, u), row(w, GateUp.gateColumn(u, hidden)), "gate row " + u + " of hidden " + hidden + ", " + random);
                assertArrayEquals(row(up, u), row(w, GateUp.upColumn(u, hidden)), "up row " + u + " of hidden " + hidden + ", " + random);
            }
        }
    }

    @Test
    void partsOfDifferentShapesOrTypesAreRefused() {
        WeightMatrix gate = random.matrix(DType.BF16, 16, 8, 1);
        assertThrows(IllegalArgumentException.class, () -> GateUp.interleave(gate, random.matrix(DType.BF16, 8, 8, 1)));
        assertThrows(IllegalArgumentException.class, () -> GateUp.interleave(gate, random.matrix(DType.BF16, 16, 16, 1)));
        assertThrows(IllegalArgumentException.class, () -> GateUp.interleave(gate, random.matrix(DType.F16, 16, 8, 1)));
    }

    /**
     * The references: the tensor-core product of the interleaved weight has, in each unit's gate and up columns, the
     * stacked product's gate and up values bit for bit (every output is the same dot product), and SwiGLU of it is
     * {@link Elementwise#siluMulReference} of those, rounded as {@link Matmul#roundToWeightType} for a 16-bit h.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void swiGluOfTheInterleavedProductIsSwiGluOfGateAndUp(DType dtype) {
        int rows = 3, in = 40, hidden = 20;
        WeightMatrix gate = random.matrix(dtype, hidden, in, 0.5), up = random.matrix(dtype, hidden, in, 0.5);
        float[] x = random.floats(rows * in, 1);
        float[] g = Matmul.tensorCoreReference(gate, x, rows, null), u = Matmul.tensorCoreReference(up, x, rows, null);
        WeightMatrix w = GateUp.interleave(gate, up);
        float[] product = Matmul.tensorCoreReference(w, x, rows, null);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < hidden; j++) {
                assertEquals(g[r * hidden + j], product[r * 2 * hidden + GateUp.gateColumn(j, hidden)], 0f, "gate " + r + "," + j + ", " + random);
                assertEquals(u[r * hidden + j], product[r * 2 * hidden + GateUp.upColumn(j, hidden)], 0f, "up " + r + "," + j + ", " + random);
            }
        }
        float[] h = Elementwise.siluMulReference(g, u);
        assertArrayEquals(h, Elementwise.siluMulInterleavedReference(product, rows, hidden), random.toString());
        assertArrayEquals(h, Matmul.swiGluTensorCoreReference(w, x, rows, DType.F32), random.toString());
        assertArrayEquals(Matmul.roundToWeightType(dtype, h), Matmul.swiGluTensorCoreReference(w, x, rows, dtype), random.toString());
        boolean rounded = false;
        for (int i = 0; i < h.length; i++) rounded |= Matmul.roundToWeightType(dtype, new float[]{h[i]})[0] != h[i];
        assertTrue(rounded, "a 16-bit h must round some value, " + random);
        assertThrows(IllegalArgumentException.class, () -> Elementwise.siluMulInterleavedReference(product, rows, hidden + 1));
    }

    private static float[] row(WeightMatrix w, int r) {
        float[] out = new float[w.cols()];
        w.row(r, out, 0);
        return out;
    }

    /** The matrices {@link RandomInputs#matrix} makes are direct buffers; a heap one must interleave the same. */
    @Test
    void heapBackedPartsInterleaveAlike() {
        WeightMatrix gate = random.matrix(DType.BF16, 9, 8, 1), up = random.matrix(DType.BF16, 9, 8, 1);
        List<WeightMatrix> heap = new ArrayList<>();
        for (WeightMatrix m : List.of(gate, up)) {
            ByteBuffer copy = ByteBuffer.allocate(m.bytes().remaining()).order(ByteOrder.LITTLE_ENDIAN).put(m.bytes()).flip();
            heap.add(new WeightMatrix(copy, m.dtype(), m.rows(), m.cols()));
        }
        assertEquals(GateUp.interleave(gate, up).bytes(), GateUp.interleave(heap.get(0), heap.get(1)).bytes());
    }
}
