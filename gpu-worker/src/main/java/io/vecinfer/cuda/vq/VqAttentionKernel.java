package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaKernel;
import io.vecinfer.cuda.CudaModule;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Fused lookup-table attention over the VQ-compressed tokens: the launcher. Each query row is a new token of
 * sequence {@code rowSequence[r]} at position {@code rowPosition[r]}; it attends the compressed positions [0, c)
 * with c = {@link ResidualWindow#compressedTokens}(position + 1, window), and the result is the normalised
 * o [row][queryHead][headDim] and lse [row][queryHead] (natural log; o = 0, lse = −inf when c = 0), ready for
 * {@link MergeStatesKernel} with the window part. Two kernels behind one call, chosen by the {@link Plan}
 * ({@link VqAttentionPlanner}): vq_lut_attention (vq_lut_attention.cu) where it serves the configuration,
 * vq_attention (vq_attention.cu) for every other one. Long contexts are split over blocks and the splits merged
 * by merge_splits. {@link #reference} (VqAttentionReference) is the kernels' arithmetic, lane by lane.
 */
public final class VqAttentionKernel implements AutoCloseable {
    /** Threads of a general block, tokens of its staged tile. */
    static final int THREADS = VqAttentionPlanner.THREADS;

    /**
     * The kernels: GENERAL = vq_attention (every configuration), LUT = vq_lut_attention (VqAttentionPlanner.lutServes),
     * LUT_HALF_VALUES = its fp16 value path (vq_lut_attention_*_hv: fp16 codeword copies, HFMA2 into half2 sums flushed to
     * fp32 every two warp tiles; value dims ≥ 2; 256-thread blocks), not yet the decoder's default; MMA = vq_mma_attention
     * (VqMmaAttention: keys and values decoded from fp16 codebook copies into mma.sync fragments), the decoder's default
     * where it serves (FAMILY_DEFAULT); MMA_WIDE = the same kernel
     * family with a wide d8 book (codes of 9 to 12 bits, d8b12: one fp16 copy of 4096 codewords; VqMmaAttention.wide), for
     * d8b12 and mixed pairs such as k=d8b12,v=d8b8, taken by the decoder as MMA is.
     */
    public enum Variant { GENERAL, LUT, LUT_HALF_VALUES, MMA, MMA_WIDE;
        boolean lut() {
            return this == LUT || this == LUT_HALF_VALUES;
        }

        /** vq_mma_attention, copied or wide books. */
        boolean mma() {
            return this == MMA || this == MMA_WIDE;
        }
    }

    /**
     * How one launch is cut: {@code splits} blocks per (row, KV head), each over {@code chunkTokens} compressed
     * positions; the query table in shared memory, or else built in global memory by vq_query_table for
     * {@code rowsPerPass} rows at a time; its entries fp32, or fp16 ({@code halfTable}; always for LUT); the kernel and
     * its block of {@code threads}. {@code sharedBytes} is the most a block takes (uint16 codes for GENERAL); a launch
     * computes its own for its code layouts.
     */
    public record Plan(int splits, int chunkTokens, boolean tableInShared, int sharedBytes, int rowsPerPass, boolean halfTable,
                       Variant variant, int threads) {
        /** The general kernel, fp32 or fp16 table. */
        public Plan(int splits, int chunkTokens, boolean tableInShared, int sharedBytes, int rowsPerPass, boolean halfTable) {
            this(splits, chunkTokens, tableInShared, sharedBytes, rowsPerPass, halfTable, Variant.GENERAL, THREADS);
        }

        /** The general kernel, fp32 table. */
        public Plan(int splits, int chunkTokens, boolean tableInShared, int sharedBytes, int rowsPerPass) {
            this(splits, chunkTokens, tableInShared, sharedBytes, rowsPerPass, false);
        }

        /** The same cut with other splits (chunks multiples of a warp tile, 32 tokens, for the LUT kernel; of the tile for the general one). */
        public Plan withSplits(int splits, int chunkTokens) {
            return new Plan(splits, chunkTokens, tableInShared, sharedBytes, rowsPerPass, halfTable, variant, threads);
        }
    }

    private final CudaDevice device;
    private final CudaModule general;
    private final CudaModule lut;
    private final CudaModule mma;
    private final MergeStatesKernel merge;
    private final int multiprocessors;
    private final int maxSharedBytes;
    private DeviceBuffer tableScratch;
    private DeviceBuffer partO;
    private DeviceBuffer partLse;
    private int scratchGeneration;

    public VqAttentionKernel(CudaDevice device) {
        this.device = device;
        general = device.module("vq_attention");
        lut = device.module("vq_lut_attention");
        mma = device.module("vq_mma_attention");
        merge = new MergeStatesKernel(device);
        device.makeCurrent();
        CUdevice dev = new CUdevice();
        JCudaDriver.cuCtxGetDevice(dev);
        multiprocessors = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        maxSharedBytes = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value, attribute, dev);
        return value[0];
    }

    /**
     * Whether the decoder's plan builds fp16 tables for the general kernel: yes unless the system property
     * {@code vecinfer.vq.halfTable} is {@code false}. fp16 halves the table's shared memory (two blocks per SM at
     * d4b8, group 4) and its lookup traffic; it moves attention outputs by about 1e-3 of their norm against the
     * CPU cache (VqReferencesTest.HALF_TABLE_TOLERANCE), inside the decoder test's 1e-2 · max |logit|.
     */
    static final boolean HALF_TABLE_DEFAULT = !"false".equals(System.getProperty("vecinfer.vq.halfTable"));
    /**
     * The kernel families the decoder's plan chooses from, fastest first: each falls back to the next where it does not
     * serve the configuration (MMA: VqMmaAttention.serves; LUT: VqAttentionPlanner.lutServes; GENERAL: every one).
     */
    public enum Family { MMA, LUT, GENERAL;
        /** The family named by the system property {@code vecinfer.vq.kernel} ({@code mma}, {@code lut} or {@code general}); MMA without it. */
        static Family fromProperty() {
            String name = System.getProperty("vecinfer.vq.kernel", "mma");
            for (Family f : values()) if (f.name().equalsIgnoreCase(name)) return f;
            throw new IllegalArgumentException("-Dvecinfer.vq.kernel=" + name + ": expected mma, lut or general");
        }
    }

    /** The decoder's family: MMA, faster than LUT at every shape measured (vq-design-notes.md), unless the system property says otherwise. */
    static final Family FAMILY_DEFAULT = Family.fromProperty();

    /**
     * Whether the decoder's plan takes the LUT kernel's fp16 value path where it serves: only with {@code
     * vecinfer.vq.values=half} until the device benchmark shows it faster (its error: VqReferencesTest.LUT_TOLERANCE).
     */
    static final boolean HALF_VALUES_DEFAULT = "half".equals(System.getProperty("vecinfer.vq.values"));

    /** The decoder's plan for {@code rows} query rows attending at most {@code maxCompressed} compressed tokens: the fastest kernel that serves it. */
    public Plan plan(FlatCodebooks books, int rows, int maxCompressed) {
        return plan(books, rows, maxCompressed, FAMILY_DEFAULT);
    }

    /** The plan of {@code family}'s kernel, or of the next family that serves these codebooks. */
    public Plan plan(FlatCodebooks books, int rows, int maxCompressed, Family family) {
        Plan mma = family == Family.MMA ? mmaPlan(books, rows, maxCompressed) : null;
        if (mma != null) return mma;
        if (family == Family.GENERAL) return plan(books, rows, maxCompressed, HALF_TABLE_DEFAULT);
        Plan halfValues = HALF_VALUES_DEFAULT ? lutHalfValuesPlan(books, rows, maxCompressed) : null;
        if (halfValues != null) return halfValues;
        return VqAttentionPlanner.best(books, rows, maxCompressed, multiprocessors, maxSharedBytes, HALF_TABLE_DEFAULT);
    }

    /** The general kernel's plan on this device. */
    public Plan plan(FlatCodebooks books, int rows, int maxCompressed, boolean halfTable) {
        return plan(books, rows, maxCompressed, multiprocessors, maxSharedBytes, halfTable);
    }

    /** The LUT kernel's plan on this device, or null where it does not serve the configuration. */
    public Plan lutPlan(FlatCodebooks books, int rows, int maxCompressed) {
        return VqAttentionPlanner.lut(books, rows, maxCompressed, multiprocessors, maxSharedBytes);
    }

    /** The LUT kernel's fp16-value plan on this device, or null where it does not serve the configuration. */
    public Plan lutHalfValuesPlan(FlatCodebooks books, int rows, int maxCompressed) {
        return VqAttentionPlanner.lutHalfValues(books, rows, maxCompressed, multiprocessors, maxSharedBytes);
    }

    /** The MMA kernel's plan on this device (MMA, or MMA_WIDE for a wide d8 book), or null where it does not serve the configuration. */
    public Plan mmaPlan(FlatCodebooks books, int rows, int maxCompressed) {
        return VqMmaAttention.plan(books, rows, maxCompressed, multiprocessors, maxSharedBytes);
    }

    /** The general kernel's plan (fp32 table) for a device of these dimensions. */
    public static Plan plan(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes) {
        return plan(books, rows, maxCompressed, multiprocessors, maxSharedBytes, false);
    }

    public static Plan plan(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes, boolean halfTable) {
        return VqAttentionPlanner.general(books, rows, maxCompressed, multiprocessors, maxSharedBytes, halfTable);
    }

    /**
     * @param q fp32 [row][queryHead][headDim]
     * @param rowSequence, rowPosition int [row]: the sequence (of the code layouts) and position of each query row
     * @param plan from {@link #plan}, for at least the largest compressed length of these rows
     * @param o, lse outputs fp32 [row][queryHead][headDim] and [row][queryHead]
     */
    public void launch(DeviceCodebooks books, int layer, Plan plan, DeviceBuffer.Slice q, int rows, DeviceBuffer rowSequence, DeviceBuffer rowPosition,
                       int window, float scale, DeviceBuffer keyCodes, VqCodeLayout keyLayout, DeviceBuffer valueCodes, VqCodeLayout valueLayout,
                       DeviceBuffer o, DeviceBuffer lse) {
        launch(books, layer, plan, q, rows, rowSequence, rowPosition, window, scale, keyCodes, keyLayout, valueCodes, valueLayout, o, lse, 0);
    }

    /** As above; {@code skip} (VqAttentionParams.SKIP_*) leaves phases out of the LUT kernel, for the benchmark's attribution runs. */
    public void launch(DeviceCodebooks books, int layer, Plan plan, DeviceBuffer.Slice q, int rows, DeviceBuffer rowSequence, DeviceBuffer rowPosition,
                       int window, float scale, DeviceBuffer keyCodes, VqCodeLayout keyLayout, DeviceBuffer valueCodes, VqCodeLayout valueLayout,
                       DeviceBuffer o, DeviceBuffer lse, int skip) {
        launch(books, layer, plan, q, rows, rowSequence, rowPosition, window, scale, Codes.arrays(keyCodes, keyLayout, valueCodes, valueLayout),
                o, lse, skip);
    }

    /**
     * As above over caches that each own their code arrays: row r reads the arrays of sequence rowSequence[r] in
     * {@code codes}' tables (a decode step of a batch in one launch).
     */
    public void launch(DeviceCodebooks books, int layer, Plan plan, DeviceBuffer.Slice q, int rows, DeviceBuffer.Slice rowSequence,
                       DeviceBuffer.Slice rowPosition, int window, float scale, VqSequenceCodes codes, DeviceBuffer o, DeviceBuffer lse) {
        launch(books, layer, plan, q, rows, rowSequence, rowPosition, window, scale, Codes.perSequence(codes),
                o, lse, 0);
    }

    /**
     * The code pointers of VqAttentionParams: one array for every sequence (keys, values), or per-sequence tables
     * (sequenceKeys, sequenceValues, sequenceCapacity), the other ones null; and the layouts the checks see.
     */
    private record Codes(Object keys, Object values, Object sequenceKeys, Object sequenceValues, Object sequenceCapacity,
                         VqCodeLayout keyLayout, VqCodeLayout valueLayout) {
        static Codes arrays(DeviceBuffer keys, VqCodeLayout keyLayout, DeviceBuffer values, VqCodeLayout valueLayout) {
            return new Codes(keys, values, null, null, null, keyLayout, valueLayout);
        }

        static Codes perSequence(VqSequenceCodes c) {
            return new Codes(null, null, c.keyArrays(), c.valueArrays(), c.capacities(), c.keyShape(), c.valueShape());
        }
    }

    private void launch(DeviceCodebooks books, int layer, Plan plan, DeviceBuffer.Slice q, int rows, Object rowSequence, Object rowPosition,
                        int window, float scale, Codes codes, DeviceBuffer o, DeviceBuffer lse, int skip) {
        VqCodeLayout keyLayout = codes.keyLayout(), valueLayout = codes.valueLayout();
        FlatCodebooks b = books.host();
        VqAttentionPlanner.checkCodes(b, layer, keyLayout, valueLayout);
        KvLayout l = b.layout();
        boolean isLut = plan.variant().lut() || plan.variant().mma();
        int states = rows * l.queryHeads(), g = VqAttentionPlanner.stride(l);
        boolean valueBookShared = isLut || VqAttentionPlanner.valueBookShared(b, layer);
        int shared;
        CudaKernel attention;
        if (plan.variant().mma()) {
            VqMmaAttention.checkLaunch(b, plan, keyLayout, valueLayout);
            shared = (int) VqMmaAttention.sharedBytes(b, plan.threads());
            attention = mma.kernel(VqMmaAttention.kernelName(b));
        } else if (isLut) {
            boolean half = plan.variant() == Variant.LUT_HALF_VALUES;
            if (!VqAttentionPlanner.lutServes(b) || keyLayout.codeBytes() != 1 || valueLayout.codeBytes() != 1
                    || (half && (!VqAttentionPlanner.lutHalfValuesServes(b) || plan.threads() > VqAttentionPlanner.LUT_HALF_VALUES_THREADS))) {
                throw new IllegalArgumentException(plan + " for codes of " + keyLayout.codeBytes() + "/" + valueLayout.codeBytes()
                        + " bytes, " + b.keys() + " / " + b.values() + ": the LUT kernel does not serve it");
            }
            shared = (int) VqAttentionPlanner.lutSharedBytes(b, plan.threads());
            attention = lut.kernel("vq_lut_attention_k" + b.keySubspaces() + "_v" + b.values().dims() + (half ? "_hv" : ""));
        } else {
            VqAttentionPlanner.check(b);
            shared = (int) VqAttentionPlanner.sharedBytes(b, plan.tableInShared(), plan.halfTable(), keyLayout.codeBytes(), valueLayout.codeBytes(), valueBookShared);
            attention = general.kernel("vq_attention_v" + b.values().dims() + "_g" + g + "_" + (plan.halfTable() ? "f16" : "f32"));
        }
        if (shared > maxSharedBytes) throw new IllegalArgumentException(plan + " needs " + shared + " bytes of shared memory; the device has " + maxSharedBytes);
        DeviceBuffer outO = o, outLse = lse;
        reserveScratch(b, plan, rows);
        if (plan.splits() > 1) {
            outO = partO;
            outLse = partLse;
        }
        VqAttentionParams params = new VqAttentionParams(q, rowSequence, rowPosition, books.keyWords, books.keyBookOf, books.valueWords,
                books.valueBookOf, books.lambda, codes.keys(), codes.values(), codes.sequenceKeys(), codes.sequenceValues(),
                codes.sequenceCapacity(), null, outO, outLse, rows, 0, l.queryHeads(), l.kvHeads(), l.headDim(), layer, keyLayout.layers(),
                keyLayout.capacity(), window, b.keys().dims(), b.keys().bits(), b.values().bits(), b.hadamard(),
                keyLayout.codeBytes(), valueLayout.codeBytes(), valueBookShared, plan.chunkTokens(), skip, scale);
        int passRows = isLut ? rows : plan.rowsPerPass();
        for (int first = 0; first < rows; first += passRows) {
            int n = Math.min(passRows, rows - first);
            DeviceBuffer table = null;
            if (!isLut && !plan.tableInShared()) table = tableScratch;
            VqAttentionParams pass = params.forPass(first, table);
            if (table != null) {
                general.kernel("vq_query_table_" + (plan.halfTable() ? "f16" : "f32"))
                        .launch(n, l.kvHeads(), 1, THREADS, 4 * l.groupSize() * l.headDim(), pass.kernelParams());
            }
            attention.launch(n, l.kvHeads(), plan.splits(), plan.threads(), shared, pass.kernelParams());
        }
        if (plan.splits() > 1) merge.launchSplits(partO, partLse, plan.splits(), states, l.headDim(), o, lse);
    }

    /**
     * Sizes the scratch a launch of {@code plan} over {@code rows} rows uses (split partials, global query tables), so
     * that such a launch allocates nothing: what a recorded decode step (a CUDA graph) needs. {@link #scratchGeneration}
     * changes whenever this moves a scratch buffer.
     */
    public void reserveScratch(FlatCodebooks books, Plan plan, int rows) {
        KvLayout l = books.layout();
        long states = (long) rows * l.queryHeads();
        DeviceBuffer o = partO, lse = partLse, table = tableScratch;
        if (plan.splits() > 1) {
            partO = device.grow(partO, 4L * plan.splits() * states * l.headDim());
            partLse = device.grow(partLse, 4L * plan.splits() * states);
        }
        boolean isLut = plan.variant().lut() || plan.variant().mma();
        if (!isLut && !plan.tableInShared()) {
            int passRows = Math.min(rows, plan.rowsPerPass());
            tableScratch = device.grow(tableScratch, (plan.halfTable() ? 2L : 4L) * VqAttentionPlanner.tableEntries(books) * l.kvHeads() * passRows);
        }
        if (o != partO || lse != partLse || table != tableScratch) scratchGeneration++;
    }

    /** See {@link #reserveScratch}. */
    public int scratchGeneration() {
        return scratchGeneration;
    }

    /** Frees the scratch buffers. */
    @Override
    public void close() {
        if (tableScratch != null) tableScratch.close();
        if (partO != null) partO.close();
        if (partLse != null) partLse.close();
    }

    /** The kernel {@code plan} names, on the host (VqAttentionReference). */
    public static void reference(FlatCodebooks books, int layer, Plan plan, float[] q, int rows, int[] rowSequence, int[] rowPosition,
                                 int window, float scale, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                                 float[] o, float[] lse) {
        VqAttentionReference.attend(books, layer, plan, q, rows, rowSequence, rowPosition, window, scale, keyCodes, keyLayout, valueCodes,
                valueLayout, o, lse);
    }
}
