package io.vecinfer.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** A block of device memory, given back to its device's {@link BlockCache} on close. Offsets and lengths are in elements of the array type used. */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaDevice device;
    private final AddressedPointer pointer;
    private final long bytes;
    private boolean freed;

    /** A block the device's {@link BlockCache} kept from a closed buffer of the same size, else a new one. */
    DeviceBuffer(CudaDevice device, long bytes) {
        this.device = device;
        this.bytes = bytes;
        AddressedPointer kept = device.blocks().take(bytes);
        pointer = kept != null ? kept : allocate(device, bytes);
        device.onAllocate(bytes);
    }

    private static AddressedPointer allocate(CudaDevice device, long bytes) {
        AddressedPointer block = new AddressedPointer();
        try {
            JCudaDriver.cuMemAlloc(block, Math.max(1, bytes));
        } catch (RuntimeException first) {
            if (device.keptBytes() == 0) throw refused(device, bytes, first);
            device.releaseKeptBlocks(); // blocks of other sizes may be what the driver is short of
            try {
                JCudaDriver.cuMemAlloc(block, Math.max(1, bytes));
            } catch (RuntimeException e) {
                throw refused(device, bytes, e);
            }
        }
        return block;
    }

    // Free bytes, not bytes in use: what the user compares with the ask to choose a smaller batch.
    private static IllegalStateException refused(CudaDevice device, long bytes, RuntimeException e) {
        return new IllegalStateException("cannot allocate " + bytes + " bytes on " + device + " (" + device.freeMemory()
                + " bytes free of " + device.totalMemory() + "): " + e.getMessage(), e);
    }

    public long bytes() {
        return bytes;
    }

    /** This buffer from float (or int) element {@code index} on, as a kernel argument. */
    public Slice from(long index) {
        return new Slice(this, index * 4);
    }

    /** A device address inside a buffer, for kernels that work on one sequence's rows of a batch. */
    public record Slice(DeviceBuffer buffer, long byteOffset) {
        Pointer pointer() {
            return buffer.pointer().withByteOffset(byteOffset);
        }
    }

    /** The device address, for pointer fields of a {@link KernelParams} struct and device tables of pointers. */
    public long address() {
        pointer();
        return pointer.address();
    }

    /** A device pointer that tells its address (JCuda keeps it protected), for by-value parameter structs. */
    static final class AddressedPointer extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    CUdeviceptr pointer() {
        if (freed) throw new IllegalStateException("device buffer used after close");
        return pointer;
    }

    public void write(float[] src) {
        write(src, 0, src.length, 0);
    }

    /** Copies src[from, from + count) to element {@code at} of this buffer (as floats). */
    public void write(float[] src, int from, int count, long at) {
        check(at + count, Float.BYTES);
        device.makeCurrent();
        JCudaDriver.cuMemcpyHtoD(pointer().withByteOffset(at * Float.BYTES), Pointer.to(src).withByteOffset((long) from * Float.BYTES),
                (long) count * Float.BYTES);
    }

    public void write(int[] src) {
        check(src.length, Integer.BYTES);
        device.makeCurrent();
        JCudaDriver.cuMemcpyHtoD(pointer(), Pointer.to(src), (long) src.length * Integer.BYTES);
    }

    public void write(short[] src) {
        check(src.length, Short.BYTES);
        device.makeCurrent();
        JCudaDriver.cuMemcpyHtoD(pointer(), Pointer.to(src), (long) src.length * Short.BYTES);
    }

    /**
     * Copies the remaining bytes of {@code src} (a direct buffer such as a memory-mapped tensor, or one with an
     * accessible array) to the start of this buffer, as they are.
     */
    public void write(java.nio.ByteBuffer src) {
        write(src, 0);
    }

    /** Copies the remaining bytes of {@code src} to this buffer from byte {@code atByte} on (e.g. one part of a stacked matrix). */
    public void write(java.nio.ByteBuffer src, long atByte) {
        check(atByte + src.remaining(), 1);
        if (!src.isDirect() && !src.hasArray()) { // a read-only heap view: JCuda can only address direct or array buffers
            src = java.nio.ByteBuffer.allocateDirect(src.remaining()).put(src.duplicate()).flip();
        }
        device.makeCurrent();
        JCudaDriver.cuMemcpyHtoD(pointer().withByteOffset(atByte), Pointer.to(src), src.remaining());
    }

    /** Copies the first {@code byteCount} bytes of {@code source} (on the same device) to the start of this buffer. */
    public void copyFrom(DeviceBuffer source, long byteCount) {
        check(byteCount, 1);
        source.check(byteCount, 1);
        device.makeCurrent();
        JCudaDriver.cuMemcpyDtoD(pointer(), source.pointer(), byteCount);
    }

    /** Copies {@code byteCount} bytes from {@code source} at {@code sourceByte} to this buffer at {@code targetByte}. */
    public void copyFrom(DeviceBuffer source, long sourceByte, long targetByte, long byteCount) {
        check(targetByte + byteCount, 1);
        source.check(sourceByte + byteCount, 1);
        device.makeCurrent();
        JCudaDriver.cuMemcpyDtoD(pointer().withByteOffset(targetByte), source.pointer().withByteOffset(sourceByte), byteCount);
    }

    public float[] readFloats(long at, int count) {
        check(at + count, Float.BYTES);
        float[] out = new float[count];
        device.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(out), pointer().withByteOffset(at * Float.BYTES), (long) count * Float.BYTES);
        return out;
    }

    public float[] readFloats() {
        return readFloats(0, (int) (bytes / Float.BYTES));
    }

    public int[] readInts(long at, int count) {
        check(at + count, Integer.BYTES);
        int[] out = new int[count];
        device.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(out), pointer().withByteOffset(at * Integer.BYTES), (long) count * Integer.BYTES);
        return out;
    }

    public short[] readShorts(long at, int count) {
        check(at + count, Short.BYTES);
        short[] out = new short[count];
        device.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(out), pointer().withByteOffset(at * Short.BYTES), (long) count * Short.BYTES);
        return out;
    }

    /** Sets every byte to zero. */
    public void clear() {
        device.makeCurrent();
        JCudaDriver.cuMemsetD8(pointer(), (byte) 0, bytes);
    }

    private void check(long endElement, int elementBytes) {
        if (endElement * elementBytes > bytes) {
            throw new IndexOutOfBoundsException("access to byte " + endElement * elementBytes + " of a " + bytes + "-byte device buffer");
        }
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        device.blocks().keep(bytes, pointer); // not cuMemFree, which would synchronize the device: BlockCache
        device.onFree(bytes);
    }
}
