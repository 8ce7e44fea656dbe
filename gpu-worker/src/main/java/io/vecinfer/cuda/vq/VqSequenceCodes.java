package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.DeviceBuffer;

/**
 * The codes of a batch of caches that each own their code arrays (a decode step of the whole batch in one launch):
 * device tables indexed by the launch's sequence numbers (rowSequence) of each cache's key and value array addresses
 * (uint64) and of the positions those arrays hold (int32); each array is laid out as a {@link VqCodeLayout} of one
 * sequence. {@code keyShape} and {@code valueShape} are what every array shares (layers, KV heads, sub-spaces, code
 * bytes); their capacity is a lower bound, each array's own being in {@code capacities}. Every capacity must keep
 * a (layer, KV head) run 16-byte aligned, as one array's does ({@link #aligned}).
 */
public record VqSequenceCodes(DeviceBuffer.Slice keyArrays, DeviceBuffer.Slice valueArrays, DeviceBuffer.Slice capacities,
                              VqCodeLayout keyShape, VqCodeLayout valueShape) {
    public VqSequenceCodes {
        if (keyShape.sequences() != 1 || valueShape.sequences() != 1) {
            throw new IllegalArgumentException("per-sequence code arrays hold one sequence each, not " + keyShape + " / " + valueShape);
        }
    }

    /** Whether arrays of {@code capacity} positions of these layouts keep every (layer, KV head) run 16-byte aligned. */
    public static boolean aligned(VqCodeLayout keys, VqCodeLayout values, int capacity) {
        return (long) capacity * keys.subspaces() * keys.codeBytes() % 16 == 0 && (long) capacity * values.subspaces() * values.codeBytes() % 16 == 0;
    }
}
