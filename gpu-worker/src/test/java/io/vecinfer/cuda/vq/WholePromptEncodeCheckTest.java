package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * CPU: the checks of {@link VqEncodeKernelGpuTest#aWholePromptEncodesInOneLaunchAsTheCpuEncoder} have teeth. The
 * encode kernel's reference, packed into the device's containers and read back as the GPU test reads them, passes;
 * one code moved to another codeword, or one written past the prompt, fails.
 */
class WholePromptEncodeCheckTest {

    @ParameterizedTest
    @ValueSource(strings = {"vecinfer:k=d4b8,v=d4b8,r=64", "vecinfer:k=d8b12,v=d2b8,r=64,scope=head"})
    void theReferenceCodesPassAndACorruptedCodeFails(String text) {
        KvLayout layout = new KvLayout(2, 8, 56, 64);
        Random random = new Random(text.hashCode() ^ System.nanoTime());
        VqSpec spec = VqTestInputs.spec(text);
        CodebookSet books = VqTestInputs.randomBooks(spec, layout, random);
        FlatCodebooks flat = FlatCodebooks.of(books);
        int tokens = 150, layer = 1, capacity = tokens + 10;
        short[] kRing = VqTestInputs.fp16Keys(random, tokens, layout), vRing = VqTestInputs.fp16Values(random, tokens, layout);
        VqCodeLayout keyLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, flat.keySubspaces(), spec.keys().bits());
        VqCodeLayout valueLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, flat.valueSubspaces(), spec.values().bits());
        short[] keyCodes = new short[(int) keyLayout.length()], valueCodes = new short[(int) valueLayout.length()];
        Arrays.fill(keyCodes, VqEncodeKernelGpuTest.SENTINEL);
        Arrays.fill(valueCodes, VqEncodeKernelGpuTest.SENTINEL);
        VqEncodeKernel.reference(flat, kRing, vRing, tokens, 0, layer, 0, tokens, keyCodes, keyLayout, valueCodes, valueLayout);
        int[] keys = readBack(keyCodes, keyLayout), values = readBack(valueCodes, valueLayout);
        VqEncodeKernelGpuTest.assertCpuEncoderCodes(books, kRing, vRing, layer, tokens, keys, keyLayout, values, valueLayout);

        int at = (int) keyLayout.index(0, layer, 3, tokens / 2, 1);
        int[] moved = keys.clone();
        moved[at] = (moved[at] + 1) % spec.keys().codewords();
        assertThrows(AssertionFailedError.class, () ->
                VqEncodeKernelGpuTest.assertCpuEncoderCodes(books, kRing, vRing, layer, tokens, moved, keyLayout, values, valueLayout));
        int[] past = values.clone();
        past[(int) valueLayout.index(0, layer, 5, tokens, 0)] = 1;
        assertThrows(AssertionFailedError.class, () ->
                VqEncodeKernelGpuTest.assertCpuEncoderCodes(books, kRing, vRing, layer, tokens, keys, keyLayout, past, valueLayout));
    }

    /** The codes as the device holds them ({@link VqCodeLayout#pack}), read back as little-endian shorts, as the GPU test reads them. */
    private static int[] readBack(short[] codes, VqCodeLayout layout) {
        var bytes = layout.pack(codes).order(ByteOrder.LITTLE_ENDIAN);
        short[] raw = new short[Math.toIntExact(layout.bytes() / 2)];
        bytes.asShortBuffer().get(raw);
        return VqEncodeKernelGpuTest.codes(raw, layout);
    }
}
