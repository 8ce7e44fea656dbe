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
 * Timed decode steps, one new token per sequence, as the end-to-end benchmarks measure them: the host time of each call
 * (the samples, under {@link TimedRuns}'s warm-up and time share), and beside it what the step issued, so a row can say
 * whether the GPU waited for the host. The step is the call a {@link StepCall} names.
 */
final class DecodeStepTiming {
    private DecodeStepTiming() {
    }

    /**
     * Which decoder call a step is. GREEDY: {@link CudaDecoder#greedyLast}, the logits reduced to their argmax on the
     * device and one int per sequence downloaded, what greedy generation calls (io.vecinfer.decoder.Generator) and the
     * comparison with a peer whose logits stay on the GPU; LOGITS: {@link CudaDecoder#forwardLast}, every sequence's
     * vocabulary of fp32 logits downloaded into Java arrays (101 MB at batch 198 and a 128k vocabulary: ~40 ms of
     * pageable copy), what a sampler on the host needs.
     */
    enum StepCall { GREEDY, LOGITS;
        /** {@code greedy} or {@code logits}, as a command line gives it. */
        static StepCall parse(String flag, String value) {
            for (StepCall c : values()) if (c.name().equalsIgnoreCase(value)) return c;
            throw new IllegalArgumentException(flag + " " + value + ": expected greedy or logits");
        }

        String call() {
            return this == GREEDY ? "greedyLast" : "forwardLast";
        }
    }

    /**
     * @param eventsMs every call's GPU span by CUDA events on the default stream around it (warm-ups included)
     * @param issueMs  every call's host issue time (from its start until only the logits' download is left)
     * @param hostMarksMs every call's host times from its start until its inputs, its tables and its layers were issued
     *                    ({@link CudaDecoder.StepStats}), as [inputs, tables, layers]
     * @param launches what the last step launched (a graph replay counts one)
     * @param replays  how many steps replayed a captured graph
     */
    record Result(TimedRuns.Samples samples, List<Double> eventsMs, List<Double> issueMs, List<double[]> hostMarksMs, long launches, int replays,
                  int warmUps) {
        /** The timed calls' entries of a per-call list (all of them when no warm-up was discarded). */
        <T> List<T> timed(List<T> everyCall) {
            return samples.warmUpDiscarded() ? everyCall.subList(Math.min(warmUps, everyCall.size()), everyCall.size()) : everyCall;
        }
    }

    /** @param nextToken one sequence's next token, drawn for each sequence before each step (outside the timed part) */
    static Result time(CudaDevice device, CudaDecoder decoder, List<Sequence<DeviceKvCache>> sequences, Supplier<int[]> nextToken,
                       StepCall call, int warmUps, int maxReps, double shareMs) {
        int batch = sequences.size();
        List<Double> issueMs = new ArrayList<>(), eventsMs = new ArrayList<>();
        List<double[]> hostMarksMs = new ArrayList<>();
        long[] launches = new long[1];
        int[] replays = new int[1];
        TimedRuns.Samples samples;
        try (CudaTimer timer = new CudaTimer(device)) {
            samples = TimedRuns.repeat(() -> {
                List<int[]> next = new ArrayList<>();
                for (int b = 0; b < batch; b++) next.add(nextToken.get());
                timer.start();
                long t0 = System.nanoTime();
                if (call == StepCall.GREEDY) decoder.greedyLast(sequences, next);
                else decoder.forwardLast(sequences, next);
                double ms = (System.nanoTime() - t0) / 1e6;
                eventsMs.add((double) timer.stopMillis());
                CudaDecoder.StepStats step = decoder.lastStep();
                issueMs.add(step.issueNanos() / 1e6);
                hostMarksMs.add(new double[]{step.inputsIssuedNanos() / 1e6, step.tablesIssuedNanos() / 1e6, step.layersIssuedNanos() / 1e6});
                launches[0] = step.launches();
                if (step.replayed()) replays[0]++;
                return ms;
            }, warmUps, maxReps, shareMs);
        }
        return new Result(samples, eventsMs, issueMs, hostMarksMs, launches[0], replays[0], warmUps);
    }
}
