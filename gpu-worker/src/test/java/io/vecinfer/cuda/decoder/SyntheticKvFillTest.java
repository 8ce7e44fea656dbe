package io.vecinfer.cuda.decoder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host side of {@link SyntheticKvFill}: the random code blocks it tiles over a VQ cache's code arrays. */
class SyntheticKvFillTest {
    @ParameterizedTest
    @CsvSource({"1, 8, 4096", "1, 4, 4096", "1, 1, 1001", "2, 12, 65536", "2, 16, 65537", "2, 9, 3"})
    void everyCodeIsAValidCodewordAndEveryCodewordOccurs(int codeBytes, int bits, int bytes) {
        long seed = new SplittableRandom().nextLong();
        ByteBuffer block = SyntheticKvFill.codeBlock(bytes, codeBytes, bits, new SplittableRandom(seed));
        assertEquals(bytes, block.capacity());
        int codes = bytes / codeBytes, codewords = 1 << bits;
        int[] seen = new int[codewords];
        for (int i = 0; i < codes; i++) {
            int code = codeBytes == 1 ? block.get(i) & 0xff : block.getShort(2 * i) & 0xffff;
            assertTrue(code < codewords, "code " + code + " at " + i + " for " + bits + " bits (seed " + seed + ")");
            seen[code]++;
        }
        if (bytes % codeBytes != 0) assertEquals(0, block.get(bytes - 1), "the trailing odd byte");
        // Uniform: with at least 16 codes per codeword on average, every codeword is drawn (a miss has odds below e^-16 each).
        if (codes >= 16L * codewords) for (int c = 0; c < codewords; c++) assertTrue(seen[c] > 0, "codeword " + c + " never drawn (seed " + seed + ")");
    }

    @Test
    void sameSeedSameBlock() {
        ByteBuffer a = SyntheticKvFill.codeBlock(4096, 1, 8, new SplittableRandom(5)), b = SyntheticKvFill.codeBlock(4096, 1, 8, new SplittableRandom(5));
        assertEquals(a, b);
    }

    @Test
    void codesWiderThanTheirContainerAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticKvFill.codeBlock(16, 1, 9, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> SyntheticKvFill.codeBlock(16, 2, 17, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> SyntheticKvFill.codeBlock(16, 4, 8, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> SyntheticKvFill.codeBlock(16, 1, 0, new SplittableRandom(1)));
    }
}
