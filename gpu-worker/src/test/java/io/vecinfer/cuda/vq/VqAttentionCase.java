package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.TestData;
import io.vecinfer.quant.VqSpec;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One fresh random problem for the VQ attention kernels' GPU tests (vq_attention, vq_lut_attention, vq_mma_attention):
 * random codebooks for a 2-layer, 2-kv-head layout, random codes for 3 sequences of {@code capacity} tokens in the
 * containers the decoder's cache uses (uint8 where the codes fit, uint16 otherwise), N(0,1) queries for each row, read
 * at layer 1; {@link #open} puts it on the device. One helper so the three tests build, launch and check alike.
 */
final class VqAttentionCase {
    final int layer = 1;
    final VqSpec spec;
    final KvLayout layout;
    final FlatCodebooks flat;
    final int window, rows, states, d, maxCompressed;
    final int[] rowSequence, rowPosition;
    final VqCodeLayout keyLayout, valueLayout;
    final short[] keyCodes, valueCodes;
    final float[] q;
    final float scale;

    /** The seed mixes the configuration with the clock: fresh inputs on every run. */
    VqAttentionCase(String text, int queryHeads, int headDim, int window, int capacity, int[] rowSequence, int[] rowPosition) {
        Random random = new Random(text.hashCode() ^ queryHeads ^ System.nanoTime());
        this.spec = VqTestInputs.spec(text);
        this.layout = new KvLayout(2, 2, queryHeads, headDim);
        this.flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, layout, random));
        this.window = window;
        this.rowSequence = rowSequence;
        this.rowPosition = rowPosition;
        this.rows = rowPosition.length;
        this.states = rows * queryHeads;
        this.d = layout.headDim();
        this.keyLayout = VqCodeLayout.of(3, layout.layers(), layout.kvHeads(), capacity, flat.keySubspaces(), spec.keys().bits());
        this.valueLayout = VqCodeLayout.of(3, layout.layers(), layout.kvHeads(), capacity, flat.valueSubspaces(), spec.values().bits());
        this.keyCodes = VqTestInputs.randomCodes(random, keyLayout.length(), spec.keys().bits());
        this.valueCodes = VqTestInputs.randomCodes(random, valueLayout.length(), spec.values().bits());
        this.q = TestData.gaussian(random, states * d);
        this.scale = (float) (1 / Math.sqrt(d));
        this.maxCompressed = (int) ResidualWindow.compressedTokens(capacity, window);
    }

    /** o [state][headDim] and lse [state], as the kernels write them. */
    record Outputs(float[] o, float[] lse) {
    }

    /** {@link VqAttentionKernel#reference} for this plan (it mirrors the plan's roundings). */
    Outputs kernelReference(VqAttentionKernel.Plan plan) {
        Outputs expected = new Outputs(new float[states * d], new float[states]);
        VqAttentionKernel.reference(flat, layer, plan, q, rows, rowSequence, rowPosition, window, scale, keyCodes, keyLayout,
                valueCodes, valueLayout, expected.o(), expected.lse());
        return expected;
    }

    /** {@link VqMmaAttention#reference} (one for every MMA plan). */
    Outputs mmaReference() {
        Outputs expected = new Outputs(new float[states * d], new float[states]);
        VqMmaAttention.reference(flat, layer, q, rows, rowSequence, rowPosition, window, scale, keyCodes, keyLayout, valueCodes, valueLayout,
                expected.o(), expected.lse());
        return expected;
    }

    /** Every state's lse within {@code relative} · max(1, |lse|), and −∞ exactly where no token is visible. */
    void assertLse(float[] expected, float[] got, double relative, Object plan) {
        for (int i = 0; i < states; i++) {
            if (expected[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, got[i], plan + " state " + i);
            else assertEquals(expected[i], got[i], relative * Math.max(1, Math.abs(expected[i])), plan + " state " + i);
        }
    }

    /** The device, the kernels and this case's inputs and outputs on it (the codes packed); skips the test without a GPU. */
    OnDevice open() {
        return new OnDevice();
    }

    final class OnDevice implements AutoCloseable {
        private final Deque<AutoCloseable> opened = new ArrayDeque<>();
        final CudaDevice device;
        final DeviceCodebooks books;
        final VqAttentionKernel kernel;
        final DeviceBuffer kc, vc, qs, seq, pos, o, lse;

        private OnDevice() {
            try {
                device = opened(Gpu.device());
                books = opened(new DeviceCodebooks(device, flat));
                kernel = opened(new VqAttentionKernel(device));
                kc = opened(device.allocate(keyLayout.bytes()));
                vc = opened(device.allocate(valueLayout.bytes()));
                qs = opened(device.upload(q));
                seq = opened(device.upload(rowSequence));
                pos = opened(device.upload(rowPosition));
                o = opened(device.allocate(4L * states * d));
                lse = opened(device.allocate(4L * states));
                kc.write(keyLayout.pack(keyCodes));
                vc.write(valueLayout.pack(valueCodes));
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        private <T extends AutoCloseable> T opened(T resource) {
            opened.push(resource);
            return resource;
        }

        /** NaN in every output, so a value the kernel never writes fails the comparison. */
        void poisonOutputs() {
            float[] nan = new float[states * d];
            Arrays.fill(nan, Float.NaN);
            o.write(nan);
            lse.write(Arrays.copyOf(nan, states));
        }

        /** Launches the plan on this case and waits for it. */
        void launch(VqAttentionKernel.Plan plan) {
            launch(plan, false);
        }

        /**
         * As above, or ({@code perSequence}) with each sequence's codes in an array of its own, as a batch of decoder caches
         * holds them (VqSequenceCodes): sequence s's arrays hold capacity + 16 (s + 1) positions (random codes past the
         * case's), in separate allocations, so a kernel that took the one-array offsets or another sequence's capacity reads
         * the wrong runs.
         */
        void launch(VqAttentionKernel.Plan plan, boolean perSequence) {
            if (!perSequence) {
                kernel.launch(books, layer, plan, qs.from(0), rows, seq, pos, window, scale, kc, keyLayout, vc, valueLayout, o, lse);
                device.synchronize();
                return;
            }
            int sequences = keyLayout.sequences();
            Random random = new Random(System.nanoTime());
            Deque<DeviceBuffer> arrays = new ArrayDeque<>();
            java.nio.ByteBuffer table = java.nio.ByteBuffer.allocateDirect(20 * sequences).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            VqCodeLayout keyShape = null, valueShape = null;
            try {
                for (int s = 0; s < sequences; s++) {
                    int capacity = keyLayout.capacity() + 16 * (s + 1);
                    VqCodeLayout keys = own(keyLayout, capacity), values = own(valueLayout, capacity);
                    if (s == 0) {
                        keyShape = keys;
                        valueShape = values;
                    }
                    DeviceBuffer k = device.allocate(keys.bytes()), v = device.allocate(values.bytes());
                    arrays.push(k);
                    arrays.push(v);
                    k.write(keys.pack(sequenceCodes(keyCodes, keyLayout, keys, s, spec.keys().bits(), random)));
                    v.write(values.pack(sequenceCodes(valueCodes, valueLayout, values, s, spec.values().bits(), random)));
                    table.putLong(8 * s, k.address());
                    table.putLong(8 * (sequences + s), v.address());
                    table.putInt(16 * sequences + 4 * s, capacity);
                }
                DeviceBuffer tables = device.allocate(20L * sequences);
                arrays.push(tables);
                tables.write(table);
                VqSequenceCodes codes = new VqSequenceCodes(tables.from(0), new DeviceBuffer.Slice(tables, 8L * sequences),
                        new DeviceBuffer.Slice(tables, 16L * sequences), keyShape, valueShape);
                kernel.launch(books, layer, plan, qs.from(0), rows, seq.from(0), pos.from(0), window, scale, codes, o, lse);
                device.synchronize();
            } finally {
                arrays.forEach(DeviceBuffer::close);
            }
        }

        /** One sequence's layout of {@code shared} with its own capacity. */
        private static VqCodeLayout own(VqCodeLayout shared, int capacity) {
            return new VqCodeLayout(1, shared.layers(), shared.kvHeads(), capacity, shared.subspaces(), shared.codeBytes());
        }

        /** Sequence {@code s}'s codes of {@code all} in the layout {@code own}, random codes below 2^bits past {@code all}'s capacity. */
        private static short[] sequenceCodes(short[] all, VqCodeLayout allLayout, VqCodeLayout own, int s, int bits, Random random) {
            short[] codes = VqTestInputs.randomCodes(random, own.length(), bits);
            for (int l = 0; l < own.layers(); l++) {
                for (int h = 0; h < own.kvHeads(); h++) {
                    int run = allLayout.capacity() * allLayout.subspaces();
                    System.arraycopy(all, (int) allLayout.index(s, l, h, 0, 0), codes, (int) own.index(0, l, h, 0, 0), run);
                }
            }
            return codes;
        }

        Outputs read() {
            return new Outputs(o.readFloats(), lse.readFloats());
        }

        /** Closes in the reverse order of opening, as try-with-resources would; the first failure is thrown, later ones suppressed. */
        @Override
        public void close() {
            RuntimeException failure = null;
            for (AutoCloseable resource; (resource = opened.poll()) != null; ) {
                try {
                    resource.close();
                } catch (Exception e) {
                    RuntimeException wrapped = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                    if (failure == null) failure = wrapped;
                    else failure.addSuppressed(wrapped);
                }
            }
            if (failure != null) throw failure;
        }
    }

    /** Chooses the plan the attribution runs use. */
    interface PlanChoice {
        VqAttentionKernel.Plan plan(VqAttentionKernel kernel, FlatCodebooks flat, int rows, int maxCompressed);
    }

    /**
     * Runs the chosen plan once with each attribution skip (VqAttentionParams.SKIP_*, and all of them) on one row at the
     * last position of a 1-layer, 2-kv-head, 8:1, head_dim 128 d4b8 cache: they must run to completion; their outputs are
     * meaningless by design.
     */
    static void runAttributionVariants(int capacity, int window, PlanChoice choice) {
        VqSpec spec = VqTestInputs.spec("vecinfer:k=d4b8,v=d4b8,r=64");
        KvLayout layout = new KvLayout(1, 2, 8, 128);
        Random random = new Random(System.nanoTime());
        FlatCodebooks flat = FlatCodebooks.of(VqTestInputs.randomBooks(spec, layout, random));
        VqCodeLayout keyLayout = VqCodeLayout.of(1, 1, 2, capacity, flat.keySubspaces(), 8);
        VqCodeLayout valueLayout = VqCodeLayout.of(1, 1, 2, capacity, flat.valueSubspaces(), 8);
        int[] sequences = {0}, positions = {capacity - 1};
        try (CudaDevice device = Gpu.device();
             DeviceCodebooks books = new DeviceCodebooks(device, flat);
             VqAttentionKernel kernel = new VqAttentionKernel(device);
             DeviceBuffer kc = device.allocate(keyLayout.bytes()); DeviceBuffer vc = device.allocate(valueLayout.bytes());
             DeviceBuffer qs = device.upload(TestData.gaussian(random, 8 * 128)); DeviceBuffer seq = device.upload(sequences);
             DeviceBuffer pos = device.upload(positions);
             DeviceBuffer o = device.allocate(4L * 8 * 128); DeviceBuffer lse = device.allocate(4L * 8)) {
            kc.write(keyLayout.pack(VqTestInputs.randomCodes(random, keyLayout.length(), 8)));
            vc.write(valueLayout.pack(VqTestInputs.randomCodes(random, valueLayout.length(), 8)));
            VqAttentionKernel.Plan plan = choice.plan(kernel, flat, 1, (int) ResidualWindow.compressedTokens(capacity, window));
            for (int skip : new int[]{0, VqAttentionParams.SKIP_KEYS, VqAttentionParams.SKIP_VALUES, VqAttentionParams.SKIP_SOFTMAX,
                    VqAttentionParams.SKIP_STAGING, 15}) {
                kernel.launch(books, 0, plan, qs.from(0), 1, seq, pos, window, 0.088f, kc, keyLayout, vc, valueLayout, o, lse, skip);
                device.synchronize();
            }
        }
    }
}
