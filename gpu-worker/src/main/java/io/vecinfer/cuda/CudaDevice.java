package io.vecinfer.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

import java.util.HashMap;
import java.util.Map;

/**
 * One CUDA device through the driver API (JCuda). It holds the device's primary context, which every
 * thread of the JVM shares: Spark runs several tasks of an executor on one GPU, and each makes the
 * context current before it touches device memory. Kernel modules are loaded once per device.
 */
public final class CudaDevice implements AutoCloseable {
    private static final Map<Integer, CudaDevice> OPEN = new HashMap<>();

    private final int ordinal;
    private final CUdevice device;
    private final CUcontext context;
    private final String name;
    private final long totalMemory;
    private final int multiprocessors;
    private final int computeCapability;
    private final Map<String, CudaModule> modules = new HashMap<>();
    private final java.util.concurrent.atomic.AtomicLong allocated = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong peakAllocated = new java.util.concurrent.atomic.AtomicLong();
    /** Blocks of closed buffers, kept for reuse (cuMemFree synchronizes the device). */
    private final BlockCache blocks = new BlockCache();
    private int users;
    /** Where this thread's launches go: the stream a {@link CudaGraph} is capturing, else null (the default stream). */
    private final ThreadLocal<jcuda.driver.CUstream> launchStream = new ThreadLocal<>();
    /** Kernel launches and graph launches issued on this device, for the host cost a benchmark reports per step. */
    private final java.util.concurrent.atomic.AtomicLong launches = new java.util.concurrent.atomic.AtomicLong();

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        byte[] nameBytes = new byte[256];
        JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device);
        int end = 0;
        while (end < nameBytes.length && nameBytes[end] != 0) end++;
        name = new String(nameBytes, 0, end, java.nio.charset.StandardCharsets.US_ASCII);
        long[] bytes = new long[1];
        JCudaDriver.cuDeviceTotalMem(bytes, device);
        totalMemory = bytes[0];
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetAttribute(count, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        multiprocessors = count[0];
        int[] major = new int[1], minor = new int[1];
        JCudaDriver.cuDeviceGetAttribute(major, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        JCudaDriver.cuDeviceGetAttribute(minor, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        computeCapability = 10 * major[0] + minor[0];
    }

    /** CUDA devices this process can use; 0 when there is no driver or no device (never throws). */
    public static int deviceCount() {
        try {
            return countDevices();
        } catch (Throwable t) {
            return 0;
        }
    }

    /** Why {@link #deviceCount()} is 0, for skip messages and errors; null when a device is present. */
    public static String unavailableReason() {
        try {
            return countDevices() > 0 ? null : "the CUDA driver reports no device";
        } catch (Throwable t) {
            return "no usable CUDA driver (" + t.getClass().getSimpleName() + ": " + t.getMessage() + ")";
        }
    }

    private static int countDevices() {
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetCount(count);
        return count[0];
    }

    /**
     * The device of the given ordinal (as Spark's GPU resource addresses and CUDA_VISIBLE_DEVICES number
     * them), shared by every caller in this JVM until the last one closes it.
     */
    public static synchronized CudaDevice open(int ordinal) {
        CudaDevice d = OPEN.get(ordinal);
        if (d == null) {
            String reason = unavailableReason();
            if (reason != null) throw new CudaUnavailableException("cannot use CUDA device " + ordinal + ": " + reason);
            int count = deviceCount();
            if (ordinal < 0 || ordinal >= count) {
                throw new CudaUnavailableException("CUDA device " + ordinal + " does not exist: this process sees " + count
                        + " device(s) (ordinals 0.." + (count - 1) + "; check CUDA_VISIBLE_DEVICES and the GPU address)");
            }
            d = new CudaDevice(ordinal);
            OPEN.put(ordinal, d);
        }
        d.users++;
        d.makeCurrent();
        return d;
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public long totalMemory() {
        return totalMemory;
    }

    /** Streaming multiprocessors (132 on an H200), for kernels that size their grid to fill the device. */
    public int multiprocessorCount() {
        return multiprocessors;
    }

    /** Compute capability as 10 · major + minor: 80 on an A100, 90 on an H100/H200 (which alone runs sm_90a kernels). */
    public int computeCapability() {
        return computeCapability;
    }

    /** Binds this device's context to the calling thread; every entry point that touches the device calls it. */
    public void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** The kernels of {@code family} (the resource cuda/FAMILY.fatbin), loaded on first use. */
    public synchronized CudaModule module(String family) {
        makeCurrent();
        return modules.computeIfAbsent(family, f -> CudaModule.load(this, f));
    }

    public DeviceBuffer allocate(long bytes) {
        makeCurrent();
        return new DeviceBuffer(this, bytes);
    }

    public DeviceBuffer upload(float[] data) {
        DeviceBuffer b = allocate((long) data.length * Float.BYTES);
        b.write(data);
        return b;
    }

    public DeviceBuffer upload(int[] data) {
        DeviceBuffer b = allocate((long) data.length * Integer.BYTES);
        b.write(data);
        return b;
    }

    /**
     * Scratch that grows: {@code buffer} when it holds {@code bytes} already, else a new buffer of {@code bytes}
     * (null: allocate). The old one is freed after the work queued on the device, which may still read it.
     */
    public DeviceBuffer grow(DeviceBuffer buffer, long bytes) {
        if (buffer != null && buffer.bytes() >= bytes) return buffer;
        if (buffer != null) {
            synchronize();
            buffer.close();
        }
        return allocate(bytes);
    }

    /** The stream the calling thread's kernel launches go to (null: the default stream). */
    jcuda.driver.CUstream launchStream() {
        return launchStream.get();
    }

    /** Sends the calling thread's launches to {@code stream} (null: back to the default stream), for a graph capture. */
    void launchOn(jcuda.driver.CUstream stream) {
        if (stream == null) launchStream.remove();
        else launchStream.set(stream);
    }

    /** Launches issued so far (kernels, and graphs as one each), by every thread. */
    public long launches() {
        return launches.get();
    }

    void countLaunch() {
        launches.incrementAndGet();
    }

    /** Waits for all work queued on this device. */
    public void synchronize() {
        makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    /** Bytes this JVM holds in {@link DeviceBuffer}s on this device now. */
    public long allocatedBytes() {
        return allocated.get();
    }

    /** The most bytes held at once since the last {@link #resetPeak()}: a sample's peak device memory. */
    public long peakAllocatedBytes() {
        return peakAllocated.get();
    }

    /** Starts a new peak from what is held now. */
    public void resetPeak() {
        peakAllocated.set(allocated.get());
    }

    void onAllocate(long bytes) {
        long now = allocated.addAndGet(bytes);
        peakAllocated.accumulateAndGet(now, Math::max);
    }

    void onFree(long bytes) {
        allocated.addAndGet(-bytes);
    }

    /** Device memory in use by this process's buffers and by the other processes on the device: total minus free, in bytes. */
    public long usedMemory() {
        return totalMemory - freeMemory();
    }

    /**
     * Device memory this process can allocate now, in bytes: what the driver reports no process holds, plus the blocks
     * of closed buffers this device keeps for reuse ({@link BlockCache}: given up when an allocation needs them).
     */
    public long freeMemory() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return free[0] + blocks.bytes();
    }

    /** Bytes of closed buffers kept for reuse. */
    public long keptBytes() {
        return blocks.bytes();
    }

    /** Frees the blocks of closed buffers kept for reuse, e.g. before another process needs the memory. */
    public void releaseKeptBlocks() {
        makeCurrent();
        blocks.release();
    }

    BlockCache blocks() {
        return blocks;
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal + " (" + name + ")";
    }

    /** Releases this caller's share; the primary context is released with the last one. */
    @Override
    public void close() {
        synchronized (CudaDevice.class) {
            if (--users > 0) return;
            OPEN.remove(ordinal);
            makeCurrent();
            blocks.release();
            modules.values().forEach(CudaModule::unload);
            modules.clear();
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }
}
