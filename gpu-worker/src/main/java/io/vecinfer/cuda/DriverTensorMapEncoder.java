package io.vecinfer.cuda;

import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;
import jdk.incubator.foreign.SymbolLookup;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static jdk.incubator.foreign.CLinker.C_INT;
import static jdk.incubator.foreign.CLinker.C_POINTER;

/**
 * libcuda's cuTensorMapEncodeTiled through the foreign linker: libc's dlopen("libcuda.so.1") (the library JCuda's
 * driver binding has loaded already, so the same handle) and dlsym. Only {@link TensorMaps} touches this class, after
 * checking that the module is there: loading it without jdk.incubator.foreign would fail.
 * Calls are serialized (one native scratch: the map, its dims, strides and box).
 */
final class DriverTensorMapEncoder {
    private static final int RTLD_NOW = 2;
    static final String DRIVER_LIBRARY = "libcuda.so.1";

    private final MethodHandle encodeTiled;
    private final ResourceScope scope = ResourceScope.newSharedScope();
    /** cuTensorMapEncodeTiled's out-parameter: 64-byte alignment is required, 128 is what cuda.h declares. */
    private final MemorySegment map = MemorySegment.allocateNative(TensorMap.BYTES, 128, scope);
    private final MemorySegment dims = MemorySegment.allocateNative(16, 8, scope), strides = MemorySegment.allocateNative(8, 8, scope);
    private final MemorySegment box = MemorySegment.allocateNative(8, 4, scope), elementStrides = MemorySegment.allocateNative(8, 4, scope);

    DriverTensorMapEncoder() throws Throwable {
        CLinker linker = CLinker.getInstance(); // IllegalCallerException without --enable-native-access
        SymbolLookup libc = CLinker.systemLookup();
        MethodHandle dlopen = linker.downcallHandle(libc.lookup("dlopen").orElseThrow(),
                MethodType.methodType(MemoryAddress.class, MemoryAddress.class, int.class), FunctionDescriptor.of(C_POINTER, C_POINTER, C_INT));
        MethodHandle dlsym = linker.downcallHandle(libc.lookup("dlsym").orElseThrow(),
                MethodType.methodType(MemoryAddress.class, MemoryAddress.class, MemoryAddress.class), FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
        MethodHandle dlerror = linker.downcallHandle(libc.lookup("dlerror").orElseThrow(), MethodType.methodType(MemoryAddress.class),
                FunctionDescriptor.of(C_POINTER));
        MemoryAddress function;
        try (ResourceScope names = ResourceScope.newConfinedScope()) {
            MemoryAddress library = (MemoryAddress) dlopen.invokeExact(CLinker.toCString(DRIVER_LIBRARY, names).address(), RTLD_NOW);
            if (library.equals(MemoryAddress.NULL)) throw new IllegalStateException("no CUDA driver library: " + dlError(dlerror));
            function = (MemoryAddress) dlsym.invokeExact(library, CLinker.toCString("cuTensorMapEncodeTiled", names).address());
            if (function.equals(MemoryAddress.NULL)) {
                throw new IllegalStateException(DRIVER_LIBRARY + " has no cuTensorMapEncodeTiled (a driver older than CUDA 12): " + dlError(dlerror));
            }
        }
        // CUresult cuTensorMapEncodeTiled(CUtensorMap*, CUtensorMapDataType, cuuint32_t rank, void* globalAddress,
        //   const cuuint64_t* globalDim, const cuuint64_t* globalStrides, const cuuint32_t* boxDim,
        //   const cuuint32_t* elementStrides, interleave, swizzle, l2Promotion, oobFill): enums and cuuint32_t are C ints.
        encodeTiled = linker.downcallHandle(function,
                MethodType.methodType(int.class, MemoryAddress.class, int.class, int.class, MemoryAddress.class, MemoryAddress.class,
                        MemoryAddress.class, MemoryAddress.class, MemoryAddress.class, int.class, int.class, int.class, int.class),
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_INT, C_INT, C_INT,
                        C_INT));
    }

    private static String dlError(MethodHandle dlerror) throws Throwable {
        MemoryAddress message = (MemoryAddress) dlerror.invokeExact();
        return message.equals(MemoryAddress.NULL) ? "(dlerror gave no message)" : CLinker.toJavaString(message);
    }

    /** The encoded map's bytes; a CUresult other than success is an IllegalArgumentException naming {@code description}. */
    synchronized byte[] encode2d(int dataType, long address, long inner, long outer, long rowStrideBytes, int boxInner, int boxOuter, int swizzle,
                                 String description) {
        little(dims).putLong(0, inner).putLong(8, outer);
        little(strides).putLong(0, rowStrideBytes);
        little(box).putInt(0, boxInner).putInt(4, boxOuter);
        little(elementStrides).putInt(0, 1).putInt(4, 1);
        int result;
        try {
            result = (int) encodeTiled.invokeExact(map.address(), dataType, 2, MemoryAddress.ofLong(address), dims.address(), strides.address(),
                    box.address(), elementStrides.address(), 0 /* no interleave */, swizzle, 3 /* L2 promotion 256 B */, 0 /* zeros outside */);
        } catch (Throwable e) {
            throw new IllegalStateException("calling cuTensorMapEncodeTiled failed", e);
        }
        if (result != 0) throw new IllegalArgumentException("cuTensorMapEncodeTiled returned CUresult " + result + " for " + description);
        return map.toByteArray();
    }

    private static ByteBuffer little(MemorySegment segment) {
        return segment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
