package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.kivi.KiviAttentionKernel;
import io.vecinfer.cuda.kivi.KiviEncodeKernel;
import io.vecinfer.cuda.vq.MergeStatesKernel;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.quant.KiviSpec;

/**
 * One KIVI method on one device, and the factory of its caches: the encode and fused-dequantization attention kernels
 * and the scratch its caches share. Its caches are attended one at a time (CudaDecoder's forward passes are serialised),
 * which is what lets them share the scratch.
 */
public final class DeviceKiviMethod implements CacheFactory<DeviceKvCache>, AutoCloseable {
    final CudaDevice device;
    final KiviSpec spec;
    final KiviEncodeKernel encode;
    final KiviAttentionKernel attention;
    final MergeStatesKernel merge;
    private DeviceBuffer windowLse, encodedO, encodedLse;

    public DeviceKiviMethod(CudaDevice device, KiviSpec spec) {
        this.device = device;
        this.spec = spec;
        encode = new KiviEncodeKernel(device);
        attention = new KiviAttentionKernel(device);
        merge = new MergeStatesKernel(device);
    }

    @Override
    public DeviceKvCache create(KvLayout layout) {
        return new DeviceKiviKvCache(this, layout, Prefill.COMPRESSED);
    }

    /** The prompt stays on the device, attended by the fp16 kernels, and is encoded there when prefill ends. */
    @Override
    public DeviceKvCache createExactPrefill(KvLayout layout) {
        return new DeviceKiviKvCache(this, layout, Prefill.EXACT);
    }

    @Override
    public String spec() {
        return spec.spec();
    }

    /** Scratch for {@code tokens} query rows of {@code layout}: lse of the window part, o and lse of the encoded part. */
    Scratch scratch(KvLayout layout, int tokens) {
        long states = (long) tokens * layout.queryHeads();
        windowLse = device.grow(windowLse, 4 * states);
        encodedO = device.grow(encodedO, 4 * states * layout.headDim());
        encodedLse = device.grow(encodedLse, 4 * states);
        return new Scratch(windowLse, encodedO, encodedLse);
    }

    record Scratch(DeviceBuffer windowLse, DeviceBuffer encodedO, DeviceBuffer encodedLse) {
    }

    @Override
    public void close() {
        attention.close();
        for (DeviceBuffer b : new DeviceBuffer[]{windowLse, encodedO, encodedLse}) {
            if (b != null) b.close();
        }
        windowLse = encodedO = encodedLse = null;
    }
}
