package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceKvCache;
import io.vecinfer.decoder.Sequence;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

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
     * @param stepStats every call's host side ({@link CudaDecoder.StepStats}: issue times, launches, replayed or not)
     */
    record Result(TimedRuns.Samples samples, List<Double> eventsMs, List<CudaDecoder.StepStats> stepStats, int warmUps) {
        /** The timed calls' entries of a per-call list (all of them when no warm-up was discarded). */
        <T> List<T> timed(List<T> everyCall) {
            return samples.warmUpDiscarded() ? everyCall.subList(Math.min(warmUps, everyCall.size()), everyCall.size()) : everyCall;
        }

        /** The median over the timed calls of one of their host times, in ms. */
        double medianHostMs(ToLongFunction<CudaDecoder.StepStats> nanos) {
            return TimedRuns.median(timed(stepStats).stream().map(s -> nanos.applyAsLong(s) / 1e6).toList());
        }

        /** What the last step launched (a graph replay counts one). */
        long launches() {
            return stepStats.isEmpty() ? 0 : stepStats.get(stepStats.size() - 1).launches();
        }

        /** How many steps replayed a captured graph. */
        long replays() {
            return stepStats.stream().filter(CudaDecoder.StepStats::replayed).count();
        }
    }

    /** @param nextToken one sequence's next token, drawn for each sequence before each step (outside the timed part) */
    static Result time(CudaDevice device, CudaDecoder decoder, List<Sequence<DeviceKvCache>> sequences, Supplier<int[]> nextToken,
                       StepCall call, int warmUps, int maxReps, double shareMs) {
        int batch = sequences.size();
        List<Double> eventsMs = new ArrayList<>();
        List<CudaDecoder.StepStats> stepStats = new ArrayList<>();
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
                stepStats.add(decoder.lastStep());
                return ms;
            }, warmUps, maxReps, shareMs);
        }
        return new Result(samples, eventsMs, stepStats, warmUps);
    }
}
