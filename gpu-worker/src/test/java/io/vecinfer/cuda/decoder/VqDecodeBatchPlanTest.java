package io.vecinfer.cuda.decoder;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compressed length a batch VQ step plans for: covers the longest row, wastes at most an eighth, changes rarely. */
class VqDecodeBatchPlanTest {
    @Test
    void thePlanCoversTheLongestRowAndWastesAtMostAnEighth() {
        Random random = new Random(System.nanoTime());
        for (int i = 0; i < 10_000; i++) {
            int n = random.nextInt(1 << 21);
            int planned = VqDecodeBatch.planLength(n);
            assertTrue(planned >= n && planned >= 1024, n + " -> " + planned);
            if (n > 1024) assertTrue(planned - n < Integer.highestOneBit(n) / 8 + 1 && planned <= n * 9L / 8 + 1, n + " -> " + planned);
        }
        assertEquals(1024, VqDecodeBatch.planLength(0));
        assertEquals(196608, VqDecodeBatch.planLength(196480)); // the 196k benchmark's compressed length
    }

    @Test
    void aGrowingContextChangesThePlanAtMostEightTimesPerDoubling() {
        TreeSet<Integer> lengths = new TreeSet<>();
        for (int n = 32768; n < 65536; n += 128) lengths.add(VqDecodeBatch.planLength(n)); // one flush of R = 128 per step
        assertEquals(8, lengths.size() - 1, "changes of plan: " + lengths);
    }
}
