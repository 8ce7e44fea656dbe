package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.vq.DeviceCodebooks;
import io.vecinfer.cuda.vq.FlatCodebooks;
import io.vecinfer.cuda.vq.MergeStatesKernel;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqEncodeKernel;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.vq.CodebookSet;

/**
 * One VQ method (VecInfer or raw VQ) on one device, and the factory of its caches: the codebooks uploaded
 * once, the encode and lookup-table attention kernels, and the scratch they share. Its caches are attended
 * one at a time (CudaDecoder's forward passes are serialised), which is what lets them share the scratch.
 */
public final class DeviceVqMethod implements KvCacheFactory, AutoCloseable {
    final CudaDevice device;
    final CodebookSet books;
    final FlatCodebooks flat;
    final DeviceCodebooks deviceBooks;
    final VqEncodeKernel encode;
    final VqAttentionKernel attention;
    final MergeStatesKernel merge;
    private DeviceBuffer windowLse, compressedO, compressedLse, positions, sequenceZeros;

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
    public KvCache create(KvLayout layout) {
        return new DeviceVqKvCache(this, layout);
    }

    @Override
    public String spec() {
        return books.spec().spec();
    }

    /** Scratch for a chunk of {@code tokens} query rows: lse of the window part, o and lse of the compressed part, row positions. */
    Scratch scratch(int tokens, int start) {
        KvLayout l = flat.layout();
        long states = (long) tokens * l.queryHeads();
        windowLse = ensure(windowLse, 4 * states);
        compressedO = ensure(compressedO, 4 * states * l.headDim());
        compressedLse = ensure(compressedLse, 4 * states);
        int[] at = new int[tokens];
        for (int i = 0; i < tokens; i++) at[i] = start + i;
        positions = ensure(positions, 4L * tokens);
        positions.write(at);
        if (sequenceZeros == null || sequenceZeros.bytes() < 4L * tokens) {
            sequenceZeros = ensure(sequenceZeros, 4L * tokens);
            sequenceZeros.clear(); // every row is sequence 0 of its cache's own code arrays
        }
        return new Scratch(windowLse, compressedO, compressedLse, positions, sequenceZeros);
    }

    record Scratch(DeviceBuffer windowLse, DeviceBuffer compressedO, DeviceBuffer compressedLse, DeviceBuffer positions,
                   DeviceBuffer sequenceZeros) {
    }

    private DeviceBuffer ensure(DeviceBuffer buffer, long bytes) {
        if (buffer != null && buffer.bytes() >= bytes) return buffer;
        if (buffer != null) {
            device.synchronize(); // a queued kernel may still read it
            buffer.close();
        }
        return device.allocate(Math.max(bytes, 2 * (buffer == null ? 0 : buffer.bytes())));
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
