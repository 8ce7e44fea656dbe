package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.model.Model;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: CudaDecoder.timePhases (DecodeAttributionBenchmark's split of a step into uploads, layers and head) gives finite,
 * non-negative spans for prefill passes, eager decode steps and replayed ones, and CudaDecoder.timeLayers
 * (DecoderE2EBenchmark's --layer-timeline) a monotone point per layer; the events change nothing: the logits equal those
 * of a decoder without them, bit for bit.
 */
class DecodePhasesTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice cuda = new GpuDevice();

    @Test
    void phasesAreFiniteAndChangeNothing() {
        try (Model model = Model.load(RepoPaths.referenceModel());
             CudaDecoder timed = new CudaDecoder(model, cuda.device()); CudaDecoder plain = new CudaDecoder(model, cuda.device())) {
            assertNull(timed.lastPhases(), "off by default");
            timed.timePhases(true);
            int vocab = model.config().vocabSize();
            List<Sequence<DeviceKvCache>> a = new ArrayList<>(), b = new ArrayList<>();
            try {
                for (int n : new int[]{40, 3}) {
                    a.add(new Sequence<>(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout())));
                    b.add(new Sequence<>(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout())));
                    int[] prompt = random.ints(n, vocab);
                    timed.forwardLast(List.of(a.get(a.size() - 1)), List.of(prompt));
                    plain.forwardLast(List.of(b.get(b.size() - 1)), List.of(prompt));
                    check(timed.lastPhases(), "prefill of " + n);
                }
                for (int step = 0; step < 5; step++) {
                    if (step == 3) { // then eager steps again
                        timed.recordDecodeSteps(false);
                        plain.recordDecodeSteps(false);
                    }
                    List<int[]> feed = List.of(random.ints(1, vocab), random.ints(1, vocab));
                    float[][] expected = plain.forwardLast(b, feed), actual = timed.forwardLast(a, feed);
                    for (int s = 0; s < feed.size(); s++) assertArrayEquals(expected[s], actual[s], "step " + step + ", sequence " + s + ", " + random);
                    check(timed.lastPhases(), "step " + step + " (replayed " + timed.lastStep().replayed() + ")");
                }
                timed.timePhases(false);
                assertNull(timed.lastPhases());
            } finally {
                Sequence.closeAll(a);
                Sequence.closeAll(b);
            }
        }
    }

    /**
     * timeLayers: for a prefill pass, one point per layer and one for the head, GPU and host times from the first layer's
     * start, non-decreasing and finite; the events change nothing (logits bit for bit those of a decoder without them).
     */
    @Test
    void layerTimelineIsMonotoneAndChangesNothing() {
        try (Model model = Model.load(RepoPaths.referenceModel());
             CudaDecoder timed = new CudaDecoder(model, cuda.device()); CudaDecoder plain = new CudaDecoder(model, cuda.device())) {
            assertNull(timed.lastLayerTimeline(), "off by default");
            timed.timeLayers(true);
            assertNull(timed.lastLayerTimeline(), "no pass yet");
            int vocab = model.config().vocabSize(), layers = model.config().numLayers();
            List<Sequence<DeviceKvCache>> a = new ArrayList<>(), b = new ArrayList<>();
            try {
                List<int[]> prompts = List.of(random.ints(57, vocab), random.ints(200, vocab));
                for (int s = 0; s < prompts.size(); s++) {
                    a.add(new Sequence<>(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout())));
                    b.add(new Sequence<>(DeviceKvCaches.fp16(cuda.device()).create(model.kvLayout())));
                }
                float[][] actual = timed.forwardLast(a, prompts), expected = plain.forwardLast(b, prompts);
                for (int s = 0; s < prompts.size(); s++) assertArrayEquals(expected[s], actual[s], "sequence " + s + ", " + random);
                CudaDecoder.LayerTimeline t = timed.lastLayerTimeline();
                assertEquals(layers + 1, t.gpuMs().length, "a point per layer and the head's");
                assertEquals(layers + 1, t.hostMs().length);
                assertEquals(0f, t.gpuMs()[0]);
                assertEquals(0f, t.hostMs()[0]);
                for (int p = 1; p <= layers; p++) {
                    assertTrue(Float.isFinite(t.gpuMs()[p]) && t.gpuMs()[p] >= t.gpuMs()[p - 1], "GPU point " + p + ": " + Arrays.toString(t.gpuMs()));
                    assertTrue(Float.isFinite(t.hostMs()[p]) && t.hostMs()[p] >= t.hostMs()[p - 1], "host point " + p + ": " + Arrays.toString(t.hostMs()));
                }
                assertTrue(t.gpuMs()[layers] > 0, "the layers take GPU time: " + Arrays.toString(t.gpuMs()));
                timed.timeLayers(false);
                assertNull(timed.lastLayerTimeline());
            } finally {
                Sequence.closeAll(a);
                Sequence.closeAll(b);
            }
        }
    }

    private void check(CudaDecoder.Phases p, String what) {
        for (float ms : new float[]{p.uploadsMs(), p.layersMs(), p.headMs()}) {
            assertTrue(Float.isFinite(ms) && ms >= 0, what + ": " + p + ", " + random);
        }
        assertTrue(p.layersMs() > 0, what + ": the layers take time, " + p);
    }
}
