package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: a decode step replayed from a CUDA graph gives the logits of the same step run eagerly, bit for bit: the replay
 * runs the same kernels with the same parameters in the same order, none of them with atomics, so any difference is a
 * parameter that the recording baked in and the step changed (a position, a ring address, a token id). Two decoders of
 * the shipped model (default tensor-core precision) step the same batch of sequences of different lengths; one records
 * and replays, the other stays eager. The rings grow during the run (256 slots at first), which moves their addresses
 * under a recorded graph, and the batch changes size once (a re-recording).
 */
class DecodeGraphTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice cuda = new GpuDevice();

    @Test
    void aReplayedStepGivesTheEagerLogits() {
        try (Model model = Model.load(RepoPaths.referenceModel());
             CudaDecoder graphs = new CudaDecoder(model, cuda.device()); CudaDecoder eager = new CudaDecoder(model, cuda.device())) {
            graphs.recordDecodeSteps(true);
            eager.recordDecodeSteps(false);
            int vocab = model.config().vocabSize(), layers = model.config().numLayers();
            int[] lengths = {250, 1, 77, 254};
            List<Sequence<DeviceKvCache>> a = new ArrayList<>(), b = new ArrayList<>();
            try {
                for (int n : lengths) {
                    a.add(new Sequence<>(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout())));
                    b.add(new Sequence<>(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout())));
                    int[] prompt = random.ints(n, vocab);
                    graphs.forwardLast(List.of(a.get(a.size() - 1)), List.of(prompt));
                    eager.forwardLast(List.of(b.get(b.size() - 1)), List.of(prompt));
                }
                int replays = 0;
                for (int step = 0; step < 12; step++) {
                    int batch = step < 8 ? lengths.length : 2; // from step 8 on, two sequences only: another shape
                    List<int[]> feed = new ArrayList<>();
                    for (int s = 0; s < batch; s++) feed.add(random.ints(1, vocab));
                    float[][] expected = eager.forwardLast(b.subList(0, batch), feed);
                    float[][] actual = graphs.forwardLast(a.subList(0, batch), feed);
                    String what = "step " + step + " at batch " + batch + ", " + random;
                    assertEquals(expected.length, actual.length, what);
                    for (int s = 0; s < batch; s++) assertArrayEquals(expected[s], actual[s], "logits of sequence " + s + ", " + what);
                    CudaDecoder.StepStats replayed = graphs.lastStep(), eagerStep = eager.lastStep();
                    assertFalse(eagerStep.replayed(), what);
                    // first sight of a shape eager, the second recorded and replayed, then replayed
                    boolean shouldReplay = step != 0 && step != 8;
                    assertEquals(shouldReplay, replayed.replayed(), what);
                    if (replayed.replayed()) {
                        replays++;
                        // the layers' launches (embed, then 9 per layer on the batch path: o and down add into the residual
                        // stream themselves, q and k rotate in one launch, the attention is one kernel) become one graph
                        // launch; the final norm (one launch for the batch) and the LM head stay eager
                        assertEquals(1 + 9L * layers - 1, eagerStep.launches() - replayed.launches(), "launches saved, " + what);
                        assertEquals(3, replayed.launches(), "a replayed step: the graph, the final norm and the LM head, " + what);
                    }
                }
                assertEquals(10, replays);
                assertTrue(a.get(0).cache().length(0) > 256, "the rings grew past their first capacity during the run");
            } finally {
                Sequence.closeAll(a);
                Sequence.closeAll(b);
            }
        }
    }
}
