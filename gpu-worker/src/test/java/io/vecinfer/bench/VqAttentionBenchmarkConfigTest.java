package io.vecinfer.bench;

import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.quant.VqShape;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** VqAttentionBenchmark's --configs names: dNbM for both sides, KEYS/VALUES for a mixed pair, and the books they give. */
class VqAttentionBenchmarkConfigTest {
    @Test
    void namesBothSidesOrAMixedPair() {
        assertArrayEquals(new VqShape[]{new VqShape(8, 12), new VqShape(8, 12)}, VqAttentionBenchmark.sides("d8b12"));
        assertArrayEquals(new VqShape[]{new VqShape(8, 12), new VqShape(8, 8)}, VqAttentionBenchmark.sides("d8b12/d8b8"));
        assertArrayEquals(new VqShape[]{new VqShape(4, 8), new VqShape(8, 8)}, VqAttentionBenchmark.sides("d4b8/d8b8"));
        assertThrows(IllegalArgumentException.class, () -> VqAttentionBenchmark.sides("d8b12/d8b8/d4b8"));
        assertThrows(IllegalArgumentException.class, () -> VqAttentionBenchmark.sides("k=d8b12"));
    }

    @Test
    void mixedBooksHaveEachSidesShape() {
        VqShape[] sides = VqAttentionBenchmark.sides("d8b12/d8b8");
        FlatCodebooks books = VqAttentionBenchmark.randomBooks(sides[0], sides[1], new SplittableRandom(1));
        assertEquals(sides[0], books.keys());
        assertEquals(sides[1], books.values());
        assertEquals(16, books.keySubspaces());
        assertEquals(16, books.valueSubspaces());
        assertEquals(4096 * 8, books.keyWords().length);
        assertEquals(256 * 8, books.valueWords().length);
    }
}
