package io.vecinfer.bench;

import io.vecinfer.cuda.attention.DecodeAttention;
import io.vecinfer.cuda.attention.PrefillAttention.Kernel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AttentionBenchmark's command line: defaults, the prefill selection a profiler run needs, and errors naming the value. */
class AttentionBenchmarkOptionsTest {
    @Test
    void defaultsTimeEveryKernelAtBothLengthsAndTheDecodeRows() {
        AttentionBenchmark.Options o = AttentionBenchmark.Options.parse();
        assertEquals(30, o.runs());
        assertEquals(List.of(Kernel.values()), o.prefillKernels());
        assertArrayEquals(new int[]{4096, 32768}, o.prefillTokens());
        assertArrayEquals(new int[]{DecodeAttention.RESIDENT_CTAS_PER_SM}, o.ctasPerSm());
        assertFalse(o.prefillOnly());
    }

    @Test
    void selectsKernelsLengthsAndPrefillOnlyInAnyOrder() {
        AttentionBenchmark.Options o = AttentionBenchmark.Options.parse("--prefill-only", "--prefill-kernels", "WGMMA_WS,WGMMA",
                "--prefill-tokens", "32768", "--runs", "3");
        assertEquals(List.of(Kernel.WGMMA_WS, Kernel.WGMMA), o.prefillKernels());
        assertArrayEquals(new int[]{32768}, o.prefillTokens());
        assertTrue(o.prefillOnly());
        assertEquals(10, o.runs(), "at least 10 runs, for a median");
    }

    @Test
    void badValuesAreNamed() {
        var unknownKernel = assertThrows(IllegalArgumentException.class, () -> AttentionBenchmark.Options.parse("--prefill-kernels", "WGMMA,FA3"));
        assertTrue(unknownKernel.getMessage().contains("FA3"), unknownKernel.getMessage());
        var badTokens = assertThrows(IllegalArgumentException.class, () -> AttentionBenchmark.Options.parse("--prefill-tokens", "4096,0"));
        assertTrue(badTokens.getMessage().contains("4096,0"), badTokens.getMessage());
        var notANumber = assertThrows(IllegalArgumentException.class, () -> AttentionBenchmark.Options.parse("--ctas-per-sm", "2,x"));
        assertTrue(notANumber.getMessage().contains("--ctas-per-sm") && notANumber.getMessage().contains("2,x"), notANumber.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> AttentionBenchmark.Options.parse("--runs"));
        assertTrue(missing.getMessage().contains("--runs"), missing.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> AttentionBenchmark.Options.parse("--kernels", "WGMMA"));
        assertTrue(unknown.getMessage().contains("--kernels"), unknown.getMessage());
    }
}
