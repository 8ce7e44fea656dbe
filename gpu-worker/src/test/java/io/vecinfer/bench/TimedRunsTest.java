package io.vecinfer.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.PrimitiveIterator;
import java.util.stream.DoubleStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimedRunsTest {

    private static java.util.function.DoubleSupplier calls(double... ms) {
        PrimitiveIterator.OfDouble it = DoubleStream.of(ms).iterator();
        return it::nextDouble; // a call past the given ones throws: the test then fails
    }

    @Test
    void warmUpThenRepeatsUpToTheCount() {
        var s = TimedRuns.repeat(calls(12, 9, 10, 8), 1, 3, 1000);
        assertEquals(List.of(9.0, 10.0, 8.0), s.ms());
        assertTrue(s.warmUpDiscarded());
        assertEquals(39, s.spentMs());
        assertEquals(9, s.median());
        assertEquals(8, s.min());
    }

    @Test
    void stopsWhenTheNextCallWouldPassTheShare() {
        // 9 + 9 + 9 = 27 fits 30, a third repeat (36) would not.
        var s = TimedRuns.repeat(calls(9, 9, 9), 1, 5, 30);
        assertEquals(List.of(9.0, 9.0), s.ms());
        assertTrue(s.warmUpDiscarded());
    }

    @Test
    void aCallTooSlowToRepeatKeepsItsWarmUpTime() {
        var s = TimedRuns.repeat(calls(9), 1, 3, 15);
        assertEquals(List.of(9.0), s.ms());
        assertFalse(s.warmUpDiscarded());
        // The warm-up runs even beyond the share: the caller decides beforehand whether a first call fits.
        assertEquals(List.of(50.0), TimedRuns.repeat(calls(50), 1, 3, 15).ms());
    }

    @Test
    void severalWarmUps() {
        var s = TimedRuns.repeat(calls(30, 5, 4, 4), 2, 10, 43);
        assertEquals(List.of(4.0, 4.0), s.ms());
        assertEquals(List.of(30.0, 5.0), TimedRuns.repeat(calls(30, 5), 2, 10, 20).ms());
    }

    @Test
    void medians() {
        assertEquals(2, TimedRuns.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, TimedRuns.median(List.of(4.0, 1.0, 2.0, 3.0)));
        assertTrue(Double.isNaN(TimedRuns.median(List.of())));
        assertThrows(IllegalArgumentException.class, () -> TimedRuns.repeat(calls(), 0, 1, 1));
    }

    /** Kernel times as CudaTimer gives them: the middle one, or the middle pair's mean; the caller's array unsorted after. */
    @Test
    void medianOfFloatTimesLeavesTheArray() {
        float[] odd = {3f, 1f, 2f}, even = {4f, 1f, 3f, 2f};
        assertEquals(2.0, TimedRuns.median(odd));
        assertEquals(2.5, TimedRuns.median(even));
        assertArrayEquals(new float[]{4f, 1f, 3f, 2f}, even);
    }
}
