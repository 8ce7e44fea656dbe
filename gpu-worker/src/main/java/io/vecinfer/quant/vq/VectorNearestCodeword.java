package io.vecinfer.quant.vq;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Nearest codeword by ‖c‖² − 2 x·c (‖x‖² is the same for every c), a vector of codewords at a time over
 * the dims-major codebook. Ties go to the lower index, as in the scalar search. Loaded only when the
 * Vector API module is present.
 */
final class VectorNearestCodeword {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorNearestCodeword() {
    }

    static int nearest(float[] transposed, float[] norms, int size, int dims, float[] x, int offset) {
        float best = Float.POSITIVE_INFINITY;
        int bestIndex = 0;
        int upper = F.loopBound(size);
        float[] lanes = new float[F.length()];
        for (int c0 = 0; c0 < upper; c0 += F.length()) {
            FloatVector acc = FloatVector.fromArray(F, norms, c0);
            for (int i = 0; i < dims; i++) {
                acc = FloatVector.fromArray(F, transposed, i * size + c0).fma(FloatVector.broadcast(F, -2f * x[offset + i]), acc);
            }
            float m = acc.reduceLanes(VectorOperators.MIN);
            if (m < best) {
                acc.intoArray(lanes, 0);
                for (int l = 0; l < lanes.length; l++) {
                    if (lanes[l] == m) {
                        best = m;
                        bestIndex = c0 + l;
                        break;
                    }
                }
            }
        }
        for (int c = upper; c < size; c++) {
            float d = norms[c];
            for (int i = 0; i < dims; i++) d -= 2f * x[offset + i] * transposed[i * size + c];
            if (d < best) {
                best = d;
                bestIndex = c;
            }
        }
        return bestIndex;
    }
}
