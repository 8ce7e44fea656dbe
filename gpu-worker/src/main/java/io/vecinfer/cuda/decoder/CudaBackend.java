package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.DenseSpec;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One GPU as an {@link ExecutionBackend}: the CUDA decoder, fp16, VQ (VecInfer, raw VQ) and KIVI caches on the
 * device, and device memory metered by what this JVM allocates there. Its caches are {@link DeviceKvCache}s, the only
 * caches its decoder takes. The fp32 cache has no kernels: its cells
 * run on the CPU backend, and their rows say so.
 */
public final class CudaBackend implements ExecutionBackend<DeviceKvCache> {
    private final CudaDevice device;
    private final Matmul.Precision precision;
    /** Codebooks go to the device once per set (the runner keeps one set per model and method). */
    private final Map<CodebookSet, DeviceVqMethod> vqMethods = new IdentityHashMap<>();
    private final Map<KiviSpec, DeviceKiviMethod> kiviMethods = new HashMap<>();

    /**
     * Opens device {@code ordinal} (as Spark's GPU addresses number them), projections on tensor cores; a clear error
     * when it cannot be used.
     */
    public CudaBackend(int ordinal) {
        this(ordinal, Matmul.Precision.TENSOR_CORES);
    }

    /** With the decoder's projections in {@code precision} ({@code EXACT} reproduces the CPU backend's arithmetic). */
    public CudaBackend(int ordinal, Matmul.Precision precision) {
        this.device = CudaDevice.open(ordinal);
        this.precision = precision;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String device() {
        return device.toString();
    }

    @Override
    public CudaDecoder decoder(Model model) {
        return new CudaDecoder(model, device, precision);
    }

    /**
     * fp16 under either prefill (its prompt is exact anyway), VQ and KIVI methods under either: under {@code prefill=exact}
     * the device cache attends the prompt with the fp16 kernels and encodes it on the device when prefill ends.
     */
    @Override
    public boolean supports(MethodSpec method, Prefill prefill) {
        return hasKernels(method, prefill);
    }

    /** {@link #supports}, without a device: the rule alone. */
    public static boolean hasKernels(MethodSpec method, Prefill prefill) {
        return isFp16(method) || method instanceof VqSpec || method instanceof KiviSpec;
    }

    private static boolean isFp16(MethodSpec method) {
        return method instanceof DenseSpec dense && dense.precision() == DenseKvCache.Precision.FP16;
    }

    @Override
    public synchronized CacheFactory<DeviceKvCache> caches(MethodSpec method, Model model, CodebookSet codebooks) {
        if (method instanceof VqSpec) return vqMethods.computeIfAbsent(codebooks, books -> new DeviceVqMethod(device, books));
        if (method instanceof KiviSpec kivi) return kiviMethods.computeIfAbsent(kivi, spec -> new DeviceKiviMethod(device, spec));
        if (isFp16(method)) return DeviceKvCaches.fp16(device);
        throw new IllegalArgumentException("the CUDA backend has no kernels for '" + method.spec() + "' (fp16, vecinfer, rawvq and kivi run on it)");
    }

    /** {@link DeviceBatchFit}'s rule on the memory free on this GPU now, with the decoder's pass rows for that memory. */
    @Override
    public int sequencesThatFit(Model model, MethodSpec method, int tokens, String cell) {
        long free = device.freeMemory();
        return DeviceBatchFit.of(model.config(), method, tokens, CudaDecoder.chunkRows(model.config(), free)).sequences(free, cell);
    }

    @Override
    public void resetPeakMemory() {
        device.resetPeak();
    }

    /** Bytes this JVM held on the GPU at once: weights, caches and activations. */
    @Override
    public long peakMemoryBytes() {
        return device.peakAllocatedBytes();
    }

    @Override
    public synchronized void close() {
        vqMethods.values().forEach(DeviceVqMethod::close);
        vqMethods.clear();
        kiviMethods.values().forEach(DeviceKiviMethod::close);
        kiviMethods.clear();
        device.close();
    }
}
