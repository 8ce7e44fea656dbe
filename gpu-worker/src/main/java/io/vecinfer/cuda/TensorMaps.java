package io.vecinfer.cuda;

import io.vecinfer.safetensors.DType;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes TMA tensor maps. JCuda 12.6's driver binding has no cuTensorMapEncodeTiled, so {@link DriverTensorMapEncoder}
 * calls libcuda's own through the JDK 17 foreign linker (jdk.incubator.foreign, JEP 412). That needs a JVM started with
 * {@code --add-modules=jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}; without them, or without a driver
 * library, {@link #unavailableReason} says what is missing and TMA's users take their other path (Matmul's wgmma
 * kernels load through cp.async instead).
 */
public final class TensorMaps {
    /** CUtensorMapSwizzle, in the driver's order: how rows of a box are laid out in shared memory. */
    public enum Swizzle { NONE, BYTES_32, BYTES_64, BYTES_128 }

    /** What a map is a function of: maps are kept by it, so a launch that describes the same tensor again is a lookup. */
    private record Description(DType dtype, long address, long inner, long outer, long rowStrideBytes, int boxInner, int boxOuter,
                               Swizzle swizzle) {
        @Override
        public String toString() {
            return dtype + " [" + outer + "][" + inner + "] at 0x" + Long.toHexString(address) + ", row stride " + rowStrideBytes + " B, box "
                    + boxOuter + "×" + boxInner + ", swizzle " + swizzle;
        }
    }

    /** Encoded maps by description; emptied when it holds {@link #KEPT} (row counts vary from pass to pass). */
    private static final Map<Description, TensorMap> MAPS = new ConcurrentHashMap<>();
    private static final int KEPT = 1024;

    static final String FOREIGN_MODULE = "jdk.incubator.foreign";
    static final String JVM_OPTIONS = "--add-modules=" + FOREIGN_MODULE + " --enable-native-access=ALL-UNNAMED";

    private TensorMaps() {
    }

    /** Empty when maps can be encoded here; else why not, naming what to add. */
    public static Optional<String> unavailableReason() {
        return Encoder.REASON;
    }

    /**
     * The map of a row-major [outer][inner] tensor of {@code dtype} at device address {@code address}, rows
     * {@code rowStrideBytes} apart (a multiple of 16), read in boxes of boxOuter rows × boxInner elements (each ≤ 256;
     * with a swizzle, boxInner × element size ≤ the swizzle's span). Elements outside the tensor read as zeros, which is
     * what lets a tile hang over the tensor's end. L2 promotion: 256 bytes. A description met before returns the map
     * encoded then (a map is a function of its description alone), so launches may ask for their maps every time.
     *
     * @throws IllegalStateException where maps cannot be encoded ({@link #unavailableReason})
     * @throws IllegalArgumentException where the driver refuses the description, with its CUresult and the description
     */
    public static TensorMap encode2d(DType dtype, long address, long inner, long outer, long rowStrideBytes, int boxInner, int boxOuter,
                                     Swizzle swizzle) {
        Encoder.REASON.ifPresent(reason -> {
            throw new IllegalStateException("TMA tensor maps unavailable: " + reason);
        });
        Description d = new Description(dtype, address, inner, outer, rowStrideBytes, boxInner, boxOuter, swizzle);
        TensorMap known = MAPS.get(d);
        if (known != null) return known;
        if (MAPS.size() >= KEPT) MAPS.clear();
        return MAPS.computeIfAbsent(d, TensorMaps::encode);
    }

    private static TensorMap encode(Description d) {
        int type = switch (d.dtype) {
            case F16 -> 6;  // CU_TENSOR_MAP_DATA_TYPE_FLOAT16
            case F32 -> 7;  // FLOAT32
            case BF16 -> 9; // BFLOAT16
            default -> throw new IllegalArgumentException("no tensor-map type for " + d.dtype);
        };
        return new TensorMap(Encoder.ENCODER.encode2d(type, d.address, d.inner, d.outer, d.rowStrideBytes, d.boxInner, d.boxOuter,
                d.swizzle.ordinal(), d.toString()));
    }

    /** Links the encoder once, on first use, remembering why it could not be. */
    private static final class Encoder {
        static final DriverTensorMapEncoder ENCODER;
        static final Optional<String> REASON;

        static {
            DriverTensorMapEncoder encoder = null;
            String reason = null;
            if (ModuleLayer.boot().findModule(FOREIGN_MODULE).isEmpty()) {
                reason = "the JVM was started without module " + FOREIGN_MODULE + " (start it with " + JVM_OPTIONS + ")";
            } else {
                try {
                    encoder = new DriverTensorMapEncoder();
                } catch (IllegalCallerException e) {
                    reason = "native access is not enabled (start the JVM with " + JVM_OPTIONS + "): " + e.getMessage();
                } catch (IllegalStateException e) {
                    reason = e.getMessage(); // no driver library, or no cuTensorMapEncodeTiled in it
                } catch (Throwable e) {
                    reason = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
            }
            ENCODER = encoder;
            REASON = Optional.ofNullable(reason);
        }
    }
}
