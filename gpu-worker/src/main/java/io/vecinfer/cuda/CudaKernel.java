package io.vecinfer.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * A loaded kernel and its launch. Arguments are passed in the kernel's parameter order: a
 * {@link DeviceBuffer} becomes its device pointer, Integer/Long/Float their C values, {@link KernelParams} and
 * {@link TensorMap} their bytes by value.
 */
public final class CudaKernel {
    private final CudaDevice device;
    private final String name;
    private final CUfunction function;
    /**
     * A launch gets 48 KB of shared memory, static and dynamic together, unless the function opts in to more
     * (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES). The dynamic bytes this function may use without asking again:
     * 48 KB less its static shared memory until the first launch that needs more, then the most any launch asked for.
     * -1 until read. (Checking the dynamic bytes alone against 48 KB let a 48 KB ring beside a few static bytes fail
     * with CUDA_ERROR_INVALID_VALUE; setting the attribute at every launch was a driver call on every large launch.)
     */
    private int dynamicSharedAllowed = -1;
    private static final int DEFAULT_SHARED_BYTES = 48 * 1024;

    CudaKernel(CudaDevice device, String name, CUfunction function) {
        this.device = device;
        this.name = name;
        this.function = function;
    }

    /** Launches on the default stream (or the stream a {@link CudaGraph} captures on this thread), grid (x, y, z) of blocks of {@code threads} threads, with dynamic shared memory. */
    public void launch(int gridX, int gridY, int gridZ, int threads, int sharedBytes, Object... args) {
        if (gridX <= 0 || gridY <= 0 || gridZ <= 0) return; // nothing to do: an empty launch is an error in CUDA
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) params[i] = argument(args[i], i);
        device.makeCurrent();
        allowDynamicShared(sharedBytes);
        jcuda.driver.CUstream stream = device.launchStream();
        JCudaDriver.cuLaunchKernel(function, gridX, gridY, gridZ, threads, 1, 1, sharedBytes, stream, Pointer.to(params), null);
        // A launch into a capturing stream is recorded, not issued: it runs when the graph does, which counts once.
        if (stream == null) device.countLaunch();
    }

    /** Opts this function in to {@code bytes} of dynamic shared memory if it has not been yet (see dynamicSharedAllowed). */
    private synchronized void allowDynamicShared(int bytes) {
        if (dynamicSharedAllowed < 0) {
            int[] staticBytes = new int[1];
            JCudaDriver.cuFuncGetAttribute(staticBytes, jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, function);
            dynamicSharedAllowed = DEFAULT_SHARED_BYTES - staticBytes[0];
        }
        if (bytes <= dynamicSharedAllowed) return;
        JCudaDriver.cuFuncSetAttribute(function, jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        dynamicSharedAllowed = bytes;
    }

    private Pointer argument(Object a, int index) {
        if (a instanceof DeviceBuffer b) return Pointer.to(b.pointer());
        if (a instanceof DeviceBuffer.Slice s) return Pointer.to(s.pointer());
        if (a instanceof Integer i) return Pointer.to(new int[]{i});
        if (a instanceof Long l) return Pointer.to(new long[]{l});
        if (a instanceof Float f) return Pointer.to(new float[]{f});
        if (a instanceof KernelParams p) return p.argument(); // a struct by value: its bytes, copied at launch
        if (a instanceof TensorMap m) return m.argument();     // a CUtensorMap by value, likewise
        if (a == null) return Pointer.to(new long[]{0L}); // a null device pointer: "absent" (e.g. no bias)
        throw new IllegalArgumentException(name + ": argument " + index + " has unsupported type " + a.getClass().getName());
    }

    public String name() {
        return name;
    }
}
