package io.vecinfer.quant;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodSpecTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "fp16 | fp16",
            "fp32 | fp32",
            "vecinfer:k=d4b8,v=d4b8,r=128 | vecinfer:k=d4b8,v=d4b8,r=128",
            "vecinfer:k=d4b8,v=d4b8 | vecinfer:k=d4b8,v=d4b8,r=128",
            "vecinfer:k=d8b12,v=d8b8,r=128,smooth=off,hadamard=on,scope=layer | vecinfer:k=d8b12,v=d8b8,r=128,smooth=off",
            "vecinfer:scope=head,hadamard=off,v=d2b8,k=d2b8,r=64 | vecinfer:k=d2b8,v=d2b8,r=64,hadamard=off,scope=head",
            "rawvq:k=d4b8,v=d4b8,scope=subspace | rawvq:k=d4b8,v=d4b8,r=128",
            "rawvq:k=d8b12,v=d8b12,r=32,scope=global | rawvq:k=d8b12,v=d8b12,r=32,scope=global",
            "kivi:k=b2g128,v=b2g128,r=128 | kivi:k=b2g128,v=b2g128,r=128",
            "kivi:k=b1g64,v=b2g32 | kivi:k=b1g64,v=b2g32,r=128",
    })
    void parsesToCanonicalFormThatRoundTrips(String text, String canonical) {
        MethodSpec spec = MethodSpec.parse(text);
        assertEquals(canonical, spec.spec());
        assertEquals(canonical, spec.toString());
        assertEquals(spec, MethodSpec.parse(spec.spec()));
    }

    @Test
    void parsesEveryField() {
        VqSpec s = (VqSpec) MethodSpec.parse("vecinfer:k=d8b12,v=d8b8,r=64,smooth=off,hadamard=on,scope=head");
        assertEquals(new VqSpec(VqSpec.Method.VECINFER, new VqShape(8, 12), new VqShape(8, 8), 64, false, true, CodebookScope.HEAD), s);
        VqSpec raw = (VqSpec) MethodSpec.parse("rawvq:k=d4b8,v=d4b8");
        assertEquals(new VqSpec(VqSpec.Method.RAWVQ, new VqShape(4, 8), new VqShape(4, 8), 128, false, false, CodebookScope.SUBSPACE), raw);
        assertEquals(new KiviSpec(new KiviShape(2, 128), new KiviShape(4, 32), 16), MethodSpec.parse("kivi:k=b2g128,v=b4g32,r=16"));
        assertEquals(new DenseSpec(DenseKvCache.Precision.FP16), MethodSpec.parse("fp16"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "lloyd:k=d4b8,v=d4b8 | unknown method 'lloyd'",
            "vecinfer:k=d4b8,v=d4b8,bits=2 | unknown key 'bits'",
            "vecinfer:k=d4b8,v=d4b8,k=d8b8 | duplicate key 'k'",
            "vecinfer:k=d0b8,v=d4b8 | k=d0b8",
            "vecinfer:k=d4b8,v=d129b8 | v=d129b8",
            "vecinfer:k=d4b0,v=d4b8 | k=d4b0",
            "vecinfer:k=d4b17,v=d4b8 | k=d4b17",
            "vecinfer:k=4x8,v=d4b8 | k=4x8",
            "vecinfer:v=d4b8 | missing key 'k'",
            "vecinfer:k=d4b8,v=d4b8,r=0 | r=0",
            "vecinfer:k=d4b8,v=d4b8,smooth=yes | smooth=yes",
            "vecinfer:k=d4b8,v=d4b8,scope=row | scope=row",
            "vecinfer:k=d4b8,,v=d4b8 | '' is not key=value",
            "rawvq:k=d4b8,v=d4b8,smooth=on | unknown key 'smooth'",
            "kivi:k=b0g128,v=b2g128 | k=b0g128",
            "kivi:k=b2g128,v=b9g128 | v=b9g128",
            "kivi:k=b2g0,v=b2g128 | k=b2g0",
            "kivi:k=d4b8,v=b2g128 | k=d4b8",
            "fp16:r=128 | fp16 takes no options",
    })
    void badSpecsNameTheWholeStringAndTheBadPart(String text, String badPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MethodSpec.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(badPart), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " "})
    void emptySpecIsRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> MethodSpec.parse(text));
    }

    @Test
    void subVectorDimsMustDivideHeadDim() {
        MethodSpec spec = MethodSpec.parse("vecinfer:k=d4b8,v=d3b8,r=128,hadamard=off");
        spec.checkLayout(new KvLayout(2, 2, 4, 96));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec.checkLayout(new KvLayout(2, 2, 4, 128)));
        assertTrue(e.getMessage().contains("v=d3b8") && e.getMessage().contains("head_dim 128")
                && e.getMessage().contains(spec.spec()), e.getMessage());
    }

    @Test
    void hadamardNeedsPowerOfTwoHeadDim() {
        MethodSpec spec = MethodSpec.parse("vecinfer:k=d4b8,v=d4b8");
        spec.checkLayout(new KvLayout(1, 1, 1, 64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec.checkLayout(new KvLayout(1, 1, 1, 96)));
        assertTrue(e.getMessage().contains("hadamard=on") && e.getMessage().contains("96"), e.getMessage());
        MethodSpec.parse("vecinfer:k=d4b8,v=d4b8,hadamard=off").checkLayout(new KvLayout(1, 1, 1, 96));
    }
}
