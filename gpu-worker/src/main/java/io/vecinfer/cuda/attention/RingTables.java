package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.PinnedStaging;
import io.vecinfer.kvcache.KvLayout;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The device tables of the kernels that take a whole batch of sequences in one launch ({@link BatchDecodeAttention},
 * {@link BatchPrefillAttention}): per layer and sequence the addresses of its key and value rings and their capacity,
 * per sequence a position, then a section of the caller's ({@link Layout}). They are staged in pinned memory
 * ({@link PinnedStaging}) and uploaded in one asynchronous copy per step or pass; the rings' part is rewritten only when
 * the rings or where they live ({@link Fp16KvRing#moves}) changed since the last upload, so a decode step's host work is
 * the positions alone.
 *
 * <p>Use: {@link #stage} (writes the rings' part, returns the bytes for the positions and the caller's section), then
 * {@link #upload}; {@link #at} addresses the uploaded tables for the launch parameters.
 */
final class RingTables implements AutoCloseable {
    /**
     * Where the tables sit in the one uploaded buffer, in bytes: key ring addresses [layers][batch], value ring addresses
     * [layers][batch] (8 bytes each), capacities [layers][batch] and positions [batch] (4 bytes each), then
     * {@code extraBytes} of the caller's from {@link #extra} (8-byte aligned).
     */
    record Layout(int layers, int batch, long extraBytes) {
        Layout(int layers, int batch) {
            this(layers, batch, 0);
        }

        long keyRing(int layer, int s) {
            return 8L * ((long) layer * batch + s);
        }

        long valueRing(int layer, int s) {
            return 8L * ((long) (layers + layer) * batch + s);
        }

        long capacity(int layer, int s) {
            return 16L * layers * batch + 4L * ((long) layer * batch + s);
        }

        long position(int s) {
            return 20L * layers * batch + 4L * s;
        }

        /** The first byte of the caller's section. */
        long extra() {
            return (20L * layers * batch + 4L * batch + 7) / 8 * 8;
        }

        long bytes() {
            return extraBytes == 0 ? 20L * layers * batch + 4L * batch : extra() + extraBytes;
        }
    }

    private final CudaDevice device;
    private final KvLayout layout;
    private DeviceBuffer tables;
    private PinnedStaging staging;
    /** What {@link #staging}'s bytes hold the rings' part of: these rings at these {@link Fp16KvRing#moves}. */
    private ByteBuffer stagedBytes;
    private Fp16KvRing[] stagedRings = new Fp16KvRing[0];
    private int[] stagedMoves = new int[0];

    /** For rings of {@code layout} (every layer of every sequence). */
    RingTables(CudaDevice device, KvLayout layout) {
        this.device = device;
        this.layout = layout;
    }

    /**
     * The staging bytes of {@code t} (position 0, limit {@code t.bytes()}) with the rings' part written for
     * {@code rings} (one per sequence, of this layout), once the copies queued out of them last time have run; the
     * caller writes the positions and its section, then {@link #upload}s.
     */
    ByteBuffer stage(Layout t, List<Fp16KvRing> rings) {
        int n = rings.size();
        if (t.batch() != n || t.layers() != layout.layers()) throw new IllegalArgumentException(n + " rings for tables of " + t);
        for (int s = 0; s < n; s++) {
            Fp16KvRing ring = rings.get(s);
            if (!ring.layout().equals(layout)) throw new IllegalArgumentException("sequence " + s + " has a ring of " + ring.layout() + ", not " + layout);
        }
        if (staging == null) staging = new PinnedStaging(device);
        ByteBuffer bytes = staging.begin(t.bytes());
        boolean sameRings = bytes == stagedBytes && n == stagedRings.length;
        for (int s = 0; s < n && sameRings; s++) sameRings = rings.get(s) == stagedRings[s] && rings.get(s).moves() == stagedMoves[s];
        if (!sameRings) {
            stagedRings = new Fp16KvRing[n];
            stagedMoves = new int[n];
            for (int s = 0; s < n; s++) {
                Fp16KvRing ring = rings.get(s);
                for (int l = 0; l < t.layers(); l++) {
                    bytes.putLong(Math.toIntExact(t.keyRing(l, s)), ring.keys(l).address());
                    bytes.putLong(Math.toIntExact(t.valueRing(l, s)), ring.values(l).address());
                    bytes.putInt(Math.toIntExact(t.capacity(l, s)), ring.capacity(l));
                }
                stagedRings[s] = ring;
                stagedMoves[s] = ring.moves();
            }
        }
        stagedBytes = bytes;
        return bytes;
    }

    /**
     * Queues the copy of the staged tables of {@code t} to the device, growing the device buffer first if it is too
     * small (it only grows). Returns whether the buffer moved: addresses of the old one in recorded launches are stale.
     */
    boolean upload(Layout t) {
        DeviceBuffer old = tables;
        tables = device.grow(tables, t.bytes());
        staging.copy(0, t.bytes(), tables, 0);
        return tables != old;
    }

    /** The uploaded tables from byte {@code byteOffset}, e.g. {@code at(t.keyRing(layer, 0))} for a layer's key rings. */
    DeviceBuffer.Slice at(long byteOffset) {
        return new DeviceBuffer.Slice(tables, byteOffset);
    }

    @Override
    public void close() {
        if (tables != null) tables.close();
        if (staging != null) staging.close();
        tables = null;
        staging = null;
    }
}
