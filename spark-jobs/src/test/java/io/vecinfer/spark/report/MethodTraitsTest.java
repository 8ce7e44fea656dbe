package io.vecinfer.spark.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bits per element and transforms, as the plots place methods. */
class MethodTraitsTest {
    @Test
    void codeBitsPerElementAveragedOverKeysAndValues() {
        assertEquals(new MethodTraits("fp16", 16, null), MethodTraits.of("fp16"));
        assertEquals(new MethodTraits("fp32", 32, null), MethodTraits.of("fp32"));
        assertEquals(new MethodTraits("kivi", 2, null), MethodTraits.of("kivi:k=b2g32,v=b2g32,r=32"));
        assertEquals(new MethodTraits("kivi", 3, null), MethodTraits.of("kivi:k=b2g32,v=b4g32,r=32"));
        assertEquals(new MethodTraits("rawvq", 2, null), MethodTraits.of("rawvq:k=d4b8,v=d4b8,r=32"));
        // d8b12: 12 bits per 8 elements = 1.5; d4b8: 2
        assertEquals(1.75, MethodTraits.of("vecinfer:k=d8b12,v=d4b8,r=128").bitsPerElement(), 0);
    }

    @Test
    void vecInferSaysWhichKeyTransformsItKeeps() {
        assertEquals("both", MethodTraits.of("vecinfer:k=d4b8,v=d4b8,r=32").transform());
        assertEquals("Hadamard", MethodTraits.of("vecinfer:k=d4b8,v=d4b8,r=32,smooth=off").transform());
        assertEquals("smooth", MethodTraits.of("vecinfer:k=d4b8,v=d4b8,r=32,hadamard=off").transform());
        assertEquals("none", MethodTraits.of("vecinfer:k=d4b8,v=d4b8,r=32,smooth=off,hadamard=off").transform());
        assertEquals("vecinfer (none)", MethodTraits.of("vecinfer:k=d4b8,v=d4b8,r=32,smooth=off,hadamard=off").label());
        assertEquals("vecinfer", MethodTraits.of("vecinfer:k=d4b8,v=d4b8,r=32").label());
    }

    @Test
    void aBadMethodIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> MethodTraits.of("vq:k=d4b8"));
        assertTrue(e.getMessage().contains("'vq:k=d4b8'"), e.getMessage());
    }
}
