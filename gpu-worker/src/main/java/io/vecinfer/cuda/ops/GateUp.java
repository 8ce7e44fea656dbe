package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.PinnedStaging;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The layout of a SwiGLU block's gate|up weight on the device: gate and up rows interleaved in blocks of
 * {@link #BLOCK}, so that the product x · Wᵀ holds each hidden unit's gate and up 8 columns apart. In
 * matmul_wgmma.cu's accumulators a thread then holds column groups 2i (gates) and 2i + 1 (ups) of the same units and
 * can apply SiLU(gate) · up in its epilogue ({@link Matmul#swiGlu}); elsewhere elementwise.cu's silu_mul_interleaved
 * reads the pairs from the fp32 product.
 *
 * <p>Block b holds hidden units 8b..8b+w-1, w = 8 (or, for a hidden size that is not a multiple of 8, what is left
 * in the last block): rows 16b..16b+w-1 of the interleaved weight are gate rows 8b..8b+w-1 and rows
 * 16b+w..16b+2w-1 up rows 8b..8b+w-1. Interleaving moves whole rows, so every output is the same dot product as
 * before, in another column.
 */
public final class GateUp {
    /** Hidden units per block: one 8-column group of an MMA fragment. */
    public static final int BLOCK = 8;
    /** Bytes staged per host-to-device copy when uploading (whole blocks; at least one). */
    private static final int STAGING_BYTES = 16 << 20;

    private GateUp() {
    }

    /** The interleaved product's column (the interleaved weight's row) that holds hidden unit {@code unit}'s gate. */
    public static int gateColumn(int unit, int hidden) {
        check(unit, hidden);
        return 2 * BLOCK * (unit / BLOCK) + unit % BLOCK;
    }

    /** The column that holds unit {@code unit}'s up: its gate's, one block width further. */
    public static int upColumn(int unit, int hidden) {
        return gateColumn(unit, hidden) + width(unit / BLOCK, hidden);
    }

    /** Hidden units in block {@code block}: 8, or fewer in a last, partial one. */
    static int width(int block, int hidden) {
        return Math.min(BLOCK, hidden - BLOCK * block);
    }

    private static void check(int unit, int hidden) {
        if (unit < 0 || unit >= hidden) throw new IndexOutOfBoundsException("hidden unit " + unit + " of " + hidden);
    }

    /** The interleaved weight on the host: rows in the order above, bytes as stored (tests and CPU references). */
    public static WeightMatrix interleave(WeightMatrix gate, WeightMatrix up) {
        int hidden = checkParts(gate, up);
        long bytes = 2L * hidden * rowBytes(gate);
        ByteBuffer data = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        putBlocks(gate, up, 0, blocks(hidden), data);
        return new WeightMatrix(data.flip(), gate.dtype(), 2 * hidden, gate.cols());
    }

    /** The interleaved weight on the device ({@link Uploader#upload}, with staging of its own). */
    public static DeviceMatrix upload(CudaDevice device, WeightMatrix gate, WeightMatrix up) {
        try (Uploader uploader = new Uploader(device)) {
            return uploader.upload(gate, up);
        }
    }

    /**
     * Uploads interleaved weights in pieces of whole blocks through two pinned buffers in turn (one fills while the
     * other's copy runs), so that no host copy of a whole matrix is made; it keeps them for every matrix it uploads (a
     * model's layers). The copies are queued on the calling thread's stream; close waits for them.
     */
    public static final class Uploader implements AutoCloseable {
        private final CudaDevice device;
        private final PinnedStaging even, odd;

        public Uploader(CudaDevice device) {
            this.device = device;
            this.even = new PinnedStaging(device);
            PinnedStaging second;
            try {
                second = new PinnedStaging(device);
            } catch (RuntimeException e) {
                even.close();
                throw e;
            }
            this.odd = second;
        }

        public DeviceMatrix upload(WeightMatrix gate, WeightMatrix up) {
            int hidden = checkParts(gate, up);
            long rowBytes = rowBytes(gate), blockBytes = 2 * BLOCK * rowBytes;
            int blocks = blocks(hidden), perCopy = (int) Math.max(1, STAGING_BYTES / blockBytes);
            DeviceBuffer data = device.allocate(2L * hidden * rowBytes);
            try {
                for (int from = 0, piece = 0; from < blocks; from += perCopy, piece++) {
                    int to = Math.min(blocks, from + perCopy);
                    long at = 2L * BLOCK * from * rowBytes, count = 2L * (Math.min(hidden, BLOCK * to) - BLOCK * from) * rowBytes;
                    PinnedStaging staging = piece % 2 == 0 ? even : odd;
                    putBlocks(gate, up, from, to, staging.begin(count));
                    staging.copy(0, count, data, at);
                }
            } catch (RuntimeException e) {
                device.synchronize(); // no copy may still write the buffer
                data.close();
                throw e;
            }
            return new DeviceMatrix(data, gate.dtype(), 2 * hidden, gate.cols());
        }

        @Override
        public void close() {
            try {
                even.close();
            } finally {
                odd.close();
            }
        }
    }

    /** Blocks [from, to) of the interleaved weight, appended to {@code into}: each block's gate rows, then its up rows. */
    private static void putBlocks(WeightMatrix gate, WeightMatrix up, int from, int to, ByteBuffer into) {
        int hidden = gate.rows();
        long rowBytes = rowBytes(gate);
        ByteBuffer g = gate.bytes(), u = up.bytes();
        for (int b = from; b < to; b++) {
            int first = BLOCK * b, w = width(b, hidden);
            for (ByteBuffer part : new ByteBuffer[]{g, u}) {
                int start = Math.toIntExact(part.position() + first * rowBytes);
                into.put(part.duplicate().limit(Math.toIntExact(start + w * rowBytes)).position(start));
            }
        }
    }

    private static int checkParts(WeightMatrix gate, WeightMatrix up) {
        if (gate.dtype() != DType.F32 && gate.dtype() != DType.BF16 && gate.dtype() != DType.F16) {
            throw new IllegalArgumentException("unsupported weight dtype " + gate.dtype() + " (F32, BF16 or F16)");
        }
        if (gate.rows() != up.rows() || gate.cols() != up.cols() || gate.dtype() != up.dtype()) {
            throw new IllegalArgumentException("gate " + gate.rows() + " × " + gate.cols() + " " + gate.dtype() + " and up " + up.rows() + " × "
                    + up.cols() + " " + up.dtype() + " must have one shape and type");
        }
        long expected = (long) gate.rows() * rowBytes(gate);
        if (gate.bytes().remaining() != expected || up.bytes().remaining() != expected) {
            throw new IllegalArgumentException("gate and up must hold " + expected + " bytes each, not " + gate.bytes().remaining() + " and "
                    + up.bytes().remaining());
        }
        return gate.rows();
    }

    private static long rowBytes(WeightMatrix w) {
        return (long) w.cols() * w.dtype().bytes;
    }

    private static int blocks(int hidden) {
        return (hidden + BLOCK - 1) / BLOCK;
    }
}
