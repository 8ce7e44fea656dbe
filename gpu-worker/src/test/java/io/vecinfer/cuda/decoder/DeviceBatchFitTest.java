package io.vecinfer.cuda.decoder;

import io.vecinfer.decoder.Batching;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.quant.CacheFootprint;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The auto batch's rule on a GPU, without one: free bytes in, sequences out. */
class DeviceBatchFitTest {
    private static final ModelConfig REFERENCE = ModelConfig.load(RepoPaths.referenceModel().resolve("config.json"));
    private static final KvLayout LAYOUT = new KvLayout(REFERENCE.numLayers(), REFERENCE.numKvHeads(), REFERENCE.numHeads(), REFERENCE.headDim());
    private static final long GIB = 1L << 30;

    @Test
    void anFp16SequenceIsChargedTwiceItsExactCacheBytesForTheRingsDoubling() {
        MethodSpec fp16 = MethodSpec.parse("fp16");
        int tokens = 2048 + 6;
        long exact = (long) CacheFootprint.of(fp16, LAYOUT, tokens).totalBytes();
        assertEquals(2L * tokens * LAYOUT.layers() * LAYOUT.kvHeads() * LAYOUT.headDim() * 2 * 2, 2 * exact);
        assertEquals(2 * exact, DeviceBatchFit.cacheBytes(fp16, LAYOUT, tokens));
        // Short sequences still hold the ring's first 256 positions.
        assertEquals(DeviceBatchFit.cacheBytes(fp16, LAYOUT, 256), DeviceBatchFit.cacheBytes(fp16, LAYOUT, 10));
    }

    @Test
    void aVqSequenceIsChargedWholeBytesPerCodeAtTwiceThePositionsPlusItsWindowRing() {
        long heads = (long) LAYOUT.layers() * LAYOUT.kvHeads();
        int d = LAYOUT.headDim(), tokens = 3000;
        long ring = (2L * 32 + Batching.CHUNK_ROWS) * heads * d * 2 * 2;
        // d4b8: 32 uint8 codes per side; d8b12: 16 uint16 codes per side.
        assertEquals(heads * 2 * tokens * (32 + 32) + ring, DeviceBatchFit.cacheBytes(MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,r=32"), LAYOUT, tokens));
        assertEquals(heads * 2 * tokens * (16 * 2 + 16 * 2) + ring,
                DeviceBatchFit.cacheBytes(MethodSpec.parse("vecinfer:k=d8b12,v=d8b12,r=32"), LAYOUT, tokens));
        // At long contexts a VQ sequence is far smaller than an fp16 one.
        assertTrue(DeviceBatchFit.cacheBytes(MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,r=32"), LAYOUT, 32768) * 3
                < DeviceBatchFit.cacheBytes(MethodSpec.parse("fp16"), LAYOUT, 32768));
    }

    @Test
    void theScratchIsOnePassOfTheDecodersActivations() {
        // fp32 x, xb, q, attended, k, v, the gate|up product (2 × 768) and SwiGLU's h (768), logits and compareAll's copy,
        // rope tables; int32 token; bf16 copy of the attention's output (512).
        long perRow = 4L * (2 * 256 + 2 * 4 * 128 + 2 * 2 * 128 + 3 * 768 + 2 * 8192 + 128) + 4 + 2 * 512;
        assertEquals(4096 * perRow, DeviceBatchFit.scratchBytes(REFERENCE, 4096));
        assertEquals(512 * perRow, DeviceBatchFit.of(REFERENCE, MethodSpec.parse("fp16"), 100, 512).scratchBytes());
    }

    @Test
    void theSequencesAreWhatFitsInTheFreeBytesLessScratchAndMargin() {
        Random random = new Random();
        for (int trial = 0; trial < 50; trial++) {
            long perSequence = 1 + random.nextInt(1 << 30), scratch = random.nextInt(1 << 30);
            long free = (long) (random.nextDouble() * 140 * GIB);
            long margin = Math.max(512L << 20, (long) (free * 0.10));
            long expected = (free - scratch - margin) / perSequence;
            int most = 1 + random.nextInt(4096);
            DeviceBatchFit fit = new DeviceBatchFit(perSequence, scratch, most);
            if (free - scratch - margin < perSequence) {
                assertThrows(IllegalStateException.class, () -> fit.sequences(free, "cell x"), free + " free");
            } else {
                assertEquals(Math.min(expected, most), fit.sequences(free, "cell x"), free + " free, " + perSequence + " each");
            }
        }
    }

    @Test
    void moreFreeMemoryNeverFitsFewerSequencesAndTheAnswerStopsAtAPass() {
        DeviceBatchFit fit = DeviceBatchFit.of(REFERENCE, MethodSpec.parse("fp16"), 2054, Batching.CHUNK_ROWS);
        int previous = 0;
        for (long free = 2 * GIB; free <= 140 * GIB; free += GIB) {
            int n = fit.sequences(free, "cell x");
            assertTrue(n >= previous, free + " bytes free gave " + n + " after " + previous);
            previous = n;
        }
        // 33 MB per sequence on 140 GB would be thousands; a decode step of more than a pass's rows is no longer one pass.
        assertEquals(Batching.CHUNK_ROWS, previous);
        assertEquals(4009, DeviceBatchFit.of(REFERENCE, MethodSpec.parse("fp16"), 2054, 4096).sequences(140 * GIB, "cell x"), "memory-bound");
        assertEquals(4096, DeviceBatchFit.of(REFERENCE, MethodSpec.parse("fp16"), 512, 4096).sequences(140 * GIB, "cell x"), "pass-bound");
        assertEquals((int) ((10 * GIB - GIB - fit.scratchBytes()) / fit.perSequenceBytes()), fit.sequences(10 * GIB, "cell x"));
    }

    @Test
    void notEvenOneSequenceNamesTheCellTheBytesOneNeedsAndTheBytesFree() {
        DeviceBatchFit fit = new DeviceBatchFit(3L << 30, 1L << 20, 512);
        long free = 2L << 30;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> fit.sequences(free, "cell fp16 / passkey / ctx 131072 / batch auto on /m"));
        String message = e.getMessage();
        assertTrue(message.startsWith("cell fp16 / passkey / ctx 131072 / batch auto on /m"), message);
        assertTrue(message.contains((3L << 30) + " bytes"), message);
        assertTrue(message.contains(free + " bytes are free"), message);
        // With the margin, free bytes that only just hold one sequence are not enough either.
        assertThrows(IllegalStateException.class, () -> new DeviceBatchFit(1L << 30, 0, 512).sequences((1L << 30) + 1, "cell y"));
        assertEquals(1, new DeviceBatchFit(1L << 30, 0, 512).sequences(2L << 30, "cell y"));
    }
}
