package io.vecinfer.cuda;

import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Java mirror of a by-value kernel struct lays fields out as nvcc does: natural alignment, padded to 8. */
class KernelParamsTest {
    @Test
    void fieldsSitAtTheirNaturalAlignment() {
        // struct { const void* a; int b; float c; int d; const void* e; long long f; int g; } is 48 bytes in C:
        // a@0, b@8, c@12, d@16, (pad) e@24, f@32, g@40, padded to 48.
        KernelParams p = new KernelParams().pointer(null).i32(7).f32(1.5f).i32(-3).pointer(null).i64(1L << 40).i32(9);
        var bytes = p.finish().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(48, p.size());
        assertEquals(0L, bytes.getLong(0));
        assertEquals(7, bytes.getInt(8));
        assertEquals(1.5f, bytes.getFloat(12));
        assertEquals(-3, bytes.getInt(16));
        assertEquals(0, bytes.getInt(20), "padding before the pointer");
        assertEquals(1L << 40, bytes.getLong(32));
        assertEquals(9, bytes.getInt(40));
    }
}
