package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.KvLayout;

/** Factories of device KV caches, one per method, for sequences that {@link CudaDecoder} runs. */
public final class DeviceKvCaches {
    private DeviceKvCaches() {
    }

    /** The fp16 dense cache on {@code device} (spec "fp16", the same method as DenseKvCache FP16). */
    public static CacheFactory<DeviceKvCache> fp16(CudaDevice device) {
        return new CacheFactory<>() {
            @Override
            public DeviceKvCache create(KvLayout layout) {
                return new DenseDeviceKvCache(device, layout);
            }

            /** An fp16 prompt is exact already. */
            @Override
            public DeviceKvCache createExactPrefill(KvLayout layout) {
                return create(layout);
            }

            @Override
            public String spec() {
                return "fp16";
            }
        };
    }
}
