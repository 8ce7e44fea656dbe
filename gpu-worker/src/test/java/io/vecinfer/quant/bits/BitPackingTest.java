package io.vecinfer.quant.bits;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BitPackingTest {
    private static final int[] COUNTS = {1, 3, 7, 63, 65, 129, 1001};

    static IntStream widths() {
        return IntStream.rangeClosed(1, 16);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void roundTripsEveryWidth(int width) {
        Random random = new Random(1000 + width);
        for (int count : COUNTS) {
            int[] codes = random.ints(count, 0, 1 << width).toArray();
            codes[0] = (1 << width) - 1; // all ones at a boundary catches a bad mask
            long[] words = BitPacking.pack(codes, width);
            assertEquals((count * width + 63) / 64, words.length, "packed, not padded");
            assertArrayEquals(codes, BitPacking.unpack(words, width, count));
            byte[] bytes = BitPacking.packBytes(codes, width);
            assertEquals((count * width + 7) / 8, bytes.length);
            assertArrayEquals(codes, BitPacking.unpackBytes(bytes, width, count));
            PackedCodes stream = new PackedCodes(width);
            for (int c : codes) stream.append(c);
            for (int i = 0; i < count; i++) assertEquals(codes[i], stream.get(i));
            assertEquals(bytes.length, stream.bytes());
        }
    }

    @Test
    void twelveBitCodesArePackedTightlyAndInOrder() {
        int[] codes = {0xABC, 0x123, 0xFFF, 0x000};
        byte[] bytes = BitPacking.packBytes(codes, 12);
        assertEquals(6, bytes.length);
        // little-endian bit order: 0xABC then 0x123 → bytes BC 3A 12
        assertEquals((byte) 0xBC, bytes[0]);
        assertEquals((byte) 0x3A, bytes[1]);
        assertEquals((byte) 0x12, bytes[2]);
        assertEquals(BitPacking.unpack(BitPacking.pack(codes, 12), 12, 4)[2], 0xFFF);
    }

    @Test
    void rejectsCodesThatDoNotFitAndBadWidths() {
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[]{4}, 2));
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[]{-1}, 16));
        assertThrows(IllegalArgumentException.class, () -> new PackedCodes(17));
        assertThrows(IllegalArgumentException.class, () -> new PackedCodes(3).append(8));
        assertThrows(IndexOutOfBoundsException.class, () -> new PackedCodes(3).get(0));
    }
}
