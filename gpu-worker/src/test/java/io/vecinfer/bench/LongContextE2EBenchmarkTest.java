package io.vecinfer.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The CPU side of {@link LongContextE2EBenchmark}: its command line and its batch fit. */
class LongContextE2EBenchmarkTest {
    private static final long GIB = 1L << 30;

    @Test
    void defaultsAreIssue12sShapes() {
        LongContextE2EBenchmark.Options o = LongContextE2EBenchmark.Options.parse(new String[0]);
        assertEquals(Path.of("/tmp/llama8b-196k"), o.model());
        assertNull(o.out());
        assertEquals("vecinfer:k=d4b8,v=d4b8", o.method());
        assertEquals(196608, o.longContext());
        assertEquals(32768, o.batchContext());
        assertEquals(List.of("long", "maxbatch"), o.only());
        assertEquals(DecodeStepTiming.StepCall.GREEDY, o.step(), "greedyLast, the call greedy generation makes");
        assertEquals(2 + o.steps(), o.spare(), "every step, warm-ups included, takes a reserved position");
    }

    @Test
    void everyOptionIsRead() {
        LongContextE2EBenchmark.Options o = LongContextE2EBenchmark.Options.parse(new String[]{"--model", "/m", "--out", "o.json",
                "--method", "vecinfer:k=d8b8,v=d8b8", "--long-context", "1000", "--batch-context", "500", "--steps", "3",
                "--max-batch", "7", "--budget-s", "12.5", "--only", "maxbatch", "--step", "logits"});
        assertEquals(new LongContextE2EBenchmark.Options(Path.of("/m"), Path.of("o.json"), "vecinfer:k=d8b8,v=d8b8", 1000, 500, 3, 7, 12.5,
                List.of("maxbatch"), DecodeStepTiming.StepCall.LOGITS), o);
    }

    @Test
    void badCommandLinesAreRefused() {
        for (String[] args : List.of(new String[]{"--steps"}, new String[]{"--steps", "0"}, new String[]{"--bogus", "1"},
                new String[]{"--only", "long,short"}, new String[]{"--method", "fp16"}, new String[]{"--step", "sample"}, new String[]{"--method", "kivi:k=b2g128,v=b2g128"})) {
            assertThrows(IllegalArgumentException.class, () -> LongContextE2EBenchmark.Options.parse(args), String.join(" ", args));
        }
    }

    @Test
    void batchIsWhatTheFreeMemoryHoldsBesideTheOneFilled() {
        // 120 GiB free beside the first sequence of 4 GiB: a margin of 3.6 GiB, then 4 GiB + 2 rows of 1 MiB each.
        long perRow = 1L << 20;
        long usable = 120 * GIB - (long) (120 * GIB * 0.03);
        assertEquals(1 + (int) (usable / (4 * GIB + 2 * perRow)), LongContextE2EBenchmark.batchThatFits(120 * GIB, 4 * GIB, perRow, 4096));
        // The 2 GiB floor of the margin on a small device; a cap; never fewer than the one already there.
        assertEquals(1 + (int) ((10 * GIB - 2 * GIB) / GIB), LongContextE2EBenchmark.batchThatFits(10 * GIB, GIB, 0, 4096));
        assertEquals(7, LongContextE2EBenchmark.batchThatFits(120 * GIB, GIB, 0, 7));
        assertEquals(1, LongContextE2EBenchmark.batchThatFits(GIB, 4 * GIB, perRow, 4096));
        assertThrows(IllegalArgumentException.class, () -> LongContextE2EBenchmark.batchThatFits(GIB, 0, 0, 8));
    }
}
