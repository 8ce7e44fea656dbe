package io.vecinfer.cuda.ops;

import io.vecinfer.decoder.TokenScores;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: the logits family's parameter mirror and what its reference does at the edges the GPU test relies on. */
class LogitReductionsReferenceTest {
    @Test
    void paramsMirrorTheEightyByteStruct() {
        // logits.cu static_asserts sizeof(LogitParams) == 80: 9 pointers, then rows and vocab.
        assertEquals(80, LogitReductions.params(null, null, null, null, null, null, null, null, null, 7, 1000).size());
    }

    @Test
    void nanRowsAreNanExceptTheScansArgmaxAndAReferenceWithoutMassIsKlZero() {
        float[] p = {1f, Float.NaN, 3f, 3f, 0f, 2f};  // row 0: NaN in the middle; row 1 below is clean
        float[] q = {1f, 2f, 3f, 0f, 2f, Float.NaN};   // row 1 of q has a NaN
        LogitReductions.Scores s = LogitReductions.scoreReference(p, new int[]{0, 2}, 2, 3);
        assertTrue(Float.isNaN(s.max()[0]) && Double.isNaN(s.logSum()[0]) && Double.isNaN(s.targetLogProb()[0]));
        assertEquals(2, s.argmax()[0], "NaN is skipped by the scan");
        assertEquals(0, s.argmax()[1], "the first of equal maxima");
        LogitReductions.Comparison c = LogitReductions.compareReference(p, q, 2, 3);
        assertEquals(0.0, c.kl()[0], "a NaN reference row has no p > 0: KL 0, as on the CPU");
        assertTrue(Double.isNaN(c.kl()[1]), "a NaN tested row makes KL NaN");
        assertTrue(Double.isNaN(LogitReductions.scoreReference(p, new int[]{TokenScores.NO_TARGET, 1}, 2, 3).targetLogProb()[0]));
    }
}
