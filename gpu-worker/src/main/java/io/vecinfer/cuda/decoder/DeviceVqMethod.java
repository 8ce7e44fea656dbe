package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.vq.DeviceCodebooks;
import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.cuda.vq.MergeStatesKernel;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqEncodeKernel;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.quant.vq.CodebookSet;

/**
 * One VQ method (VecInfer or raw VQ) on one device, and the factory of its caches: the codebooks uploaded
 * once, the encode and lookup-table attention kernels, and the scratch they share. Its caches are attended
 * one at a time (CudaDecoder's forward passes are serialised), which is what lets them share the scratch.
 */
public final class DeviceVqMethod implements CacheFactory<DeviceKvCache>, AutoCloseable {
    final CudaDevice device;
    final CodebookSet books;
    final FlatCodebooks flat;
    final DeviceCodebooks deviceBooks;
    final VqEncodeKernel encode;
    final VqAttentionKernel attention;
    final MergeStatesKernel merge;
    private DeviceBuffer windowLse, compressedO, compressedLse, positions, sequenceZeros;
    private int positionsStart = -1, positionsTokens;

    public DeviceVqMethod(CudaDevice device, CodebookSet books) {
        this.device = device;
        this.books = books;
        flat = FlatCodebooks.of(books);
        deviceBooks = new DeviceCodebooks(device, flat);
        encode = new VqEncodeKernel(device);
        attention = new VqAttentionKernel(device);
        merge = new MergeStatesKernel(device);
    }

    @Override
    public DeviceKvCache create(KvLayout layout) {
        return new DeviceVqKvCache(this, layout, Prefill.COMPRESSED);
    }

    /** The prompt stays on the device, attended by the fp16 kernels, and is encoded there when prefill ends. */
    @Override
    public DeviceKvCache createExactPrefill(KvLayout layout) {
        return new DeviceVqKvCache(this, layout, Prefill.EXACT);
    }

    @Override
    public String spec() {
        return books.spec().spec();
    }

    /** Scratch for a chunk of {@code tokens} query rows: lse of the window part, o and lse of the compressed part, row positions. */
    Scratch scratch(int tokens, int start) {
        KvLayout l = flat.layout();
        long states = (long) tokens * l.queryHeads();
        windowLse = device.grow(windowLse, 4 * states);
        compressedO = device.grow(compressedO, 4 * states * l.headDim());
        compressedLse = device.grow(compressedLse, 4 * states);
        // Every layer of a chunk asks for the same rows: upload their positions once, not once per layer.
        DeviceBuffer grown = device.grow(positions, 4L * tokens);
        if (grown != positions || start != positionsStart || tokens != positionsTokens) {
            int[] at = new int[tokens];
            for (int i = 0; i < tokens; i++) at[i] = start + i;
            grown.write(at);
            positions = grown;
            positionsStart = start;
            positionsTokens = tokens;
        }
        grown = device.grow(sequenceZeros, 4L * tokens);
        if (grown != sequenceZeros) {
            grown.clear(); // every row is sequence 0 of its cache's own code arrays
            sequenceZeros = grown;
        }
        return new Scratch(windowLse, compressedO, compressedLse, positions, sequenceZeros);
    }

    record Scratch(DeviceBuffer windowLse, DeviceBuffer compressedO, DeviceBuffer compressedLse, DeviceBuffer positions,
                   DeviceBuffer sequenceZeros) {
    }

    @Override
    public void close() {
        attention.close();
        deviceBooks.close();
        for (DeviceBuffer b : new DeviceBuffer[]{windowLse, compressedO, compressedLse, positions, sequenceZeros}) {
            if (b != null) b.close();
        }
    }
}
