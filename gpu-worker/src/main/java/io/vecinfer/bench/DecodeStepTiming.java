package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceKvCache;
import io.vecinfer.decoder.Sequence;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Timed decode steps through {@link CudaDecoder#forwardLast}, one new token per sequence, as the end-to-end benchmarks
 * measure them: the host time of each call (the samples, under {@link TimedRuns}'s warm-up and time share), and beside
 * it what the step issued, so a row can say whether the GPU waited for the host.
 */
final class DecodeStepTiming {
    private DecodeStepTiming() {
    }

    /**
     * @param eventsMs every call's GPU span by CUDA events on the default stream around it (warm-ups included)
     * @param issueMs  every call's host issue time (from its start until only the logits' download is left)
     * @param launches what the last step launched (a graph replay counts one)
     * @param replays  how many steps replayed a captured graph
     */
    record Result(TimedRuns.Samples samples, List<Double> eventsMs, List<Double> issueMs, long launches, int replays) {
    }

    /** @param nextToken one sequence's next token, drawn for each sequence before each step (outside the timed part) */
    static Result time(CudaDevice device, CudaDecoder decoder, List<Sequence<DeviceKvCache>> sequences, Supplier<int[]> nextToken,
                       int warmUps, int maxReps, double shareMs) {
        int batch = sequences.size();
        List<Double> issueMs = new ArrayList<>(), eventsMs = new ArrayList<>();
        long[] launches = new long[1];
        int[] replays = new int[1];
        TimedRuns.Samples samples;
        try (CudaTimer timer = new CudaTimer(device)) {
            samples = TimedRuns.repeat(() -> {
                List<int[]> next = new ArrayList<>();
                for (int b = 0; b < batch; b++) next.add(nextToken.get());
                timer.start();
                long t0 = System.nanoTime();
                decoder.forwardLast(sequences, next);
                double ms = (System.nanoTime() - t0) / 1e6;
                eventsMs.add((double) timer.stopMillis());
                CudaDecoder.StepStats step = decoder.lastStep();
                issueMs.add(step.issueNanos() / 1e6);
                launches[0] = step.launches();
                if (step.replayed()) replays[0]++;
                return ms;
            }, warmUps, maxReps, shareMs);
        }
        return new Result(samples, eventsMs, issueMs, launches[0], replays[0]);
    }
}
