package io.vecinfer.eval.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatisticsTest {

    private static final double[] ONE_TO_FIVE = {1, 2, 3, 4, 5};

    @Test
    void analyticStandardErrorOnAKnownArray() {
        // mean 3; squared deviations 4+1+0+1+4 = 10; s² = 10/4 = 2.5; SE = √(2.5/5) = √0.5
        Summary summary = Summary.analytic(ONE_TO_FIVE);
        assertEquals(5, summary.n());
        assertEquals(3.0, summary.mean(), 0.0);
        assertEquals(Math.sqrt(2.5), SampleStatistics.sampleStandardDeviation(ONE_TO_FIVE), 1e-15);
        assertEquals(Math.sqrt(0.5), summary.stderr(), 1e-15);
    }

    @Test
    void oneSampleHasNoStandardErrorAndNoneIsAnError() {
        assertTrue(Double.isNaN(Summary.analytic(new double[] {0.7}).stderr()));
        assertThrows(IllegalArgumentException.class, () -> SampleStatistics.mean(new double[0]));
    }

    @Test
    void bootstrapIsDeterministicForASeed() {
        double first = Bootstrap.standardError(ONE_TO_FIVE, 42, 1000);
        assertEquals(first, Bootstrap.standardError(ONE_TO_FIVE, 42, 1000), 0.0);
        assertNotEquals(first, Bootstrap.standardError(ONE_TO_FIVE, 43, 1000));
        assertEquals(Summary.bootstrap(ONE_TO_FIVE, 42, 1000), Summary.bootstrap(ONE_TO_FIVE, 42, 1000));
    }

    @Test
    void bootstrapAgreesWithThePlugInError() {
        // resampling uses the n-divisor variance: √(2/5) = 0.632 for 1..5
        assertEquals(Math.sqrt(2.0 / 5.0), Bootstrap.standardError(ONE_TO_FIVE, 7, 20_000), 0.01);
        assertEquals(0.0, Bootstrap.standardError(new double[] {0.5, 0.5, 0.5}, 7, 100), 0.0);
    }

    @Test
    void pairedDeltaUsesTheErrorOfTheDifferences() {
        double[] reference = {0.9, 0.2, 0.6, 0.4};
        double[] test = {0.8, 0.1, 0.6, 0.2};
        // differences −0.1, −0.1, 0, −0.2: mean −0.1; squared deviations 0+0+0.01+0.01 = 0.02;
        // s² = 0.02/3; SE = √(0.02/3/4) = 0.0408…
        PairedDelta delta = PairedDelta.analytic(test, reference);
        assertEquals(4, delta.n());
        assertEquals(-0.1, delta.delta(), 1e-15);
        assertEquals(Math.sqrt(0.02 / 12), delta.stderr(), 1e-15);
        // far below the unpaired error, since the sample difficulty is shared
        assertTrue(delta.stderr() < Summary.analytic(test).stderr());
        assertEquals(PairedDelta.bootstrap(test, reference, 1, 500), PairedDelta.bootstrap(test, reference, 1, 500));
        assertThrows(IllegalArgumentException.class, () -> PairedDelta.analytic(new double[2], new double[3]));
    }
}
