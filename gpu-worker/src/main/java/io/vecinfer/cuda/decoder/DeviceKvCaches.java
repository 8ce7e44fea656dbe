package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;

/** Factories of device KV caches, one per method, for sequences that {@link CudaDecoder} runs. */
public final class DeviceKvCaches {
    private DeviceKvCaches() {
    }

    /** The fp16 dense cache on {@code device} (spec "fp16", the same method as DenseKvCache FP16). */
    public static KvCacheFactory fp16(CudaDevice device) {
        return new KvCacheFactory() {
            @Override
            public KvCache create(KvLayout layout) {
                return new DenseDeviceKvCache(device, layout);
            }

            @Override
            public String spec() {
                return "fp16";
            }
        };
    }
}
