package io.vecinfer.quant.calib;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KMeansConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodebookFileTest {
    private static final String SPEC = "vecinfer:k=d4b5,v=d2b4,r=16";
    @TempDir
    static Path dir;
    static Path file;
    static CodebookSet written;

    @BeforeAll
    static void writeOne() throws Exception {
        CalibrationSamples samples = CalibrationTest.record(new Random(51), 40);
        written = Calibration.fit((VqSpec) MethodSpec.parse(SPEC), samples, "tiny-llama3@abc", new KMeansConfig(2, 9, 1));
        file = dir.resolve("codebooks.safetensors");
        CodebookFile.write(file, written);
    }

    @Test
    void roundTrips() {
        CodebookSet read = CodebookFile.read(file, (VqSpec) MethodSpec.parse(SPEC), CalibrationTest.LAYOUT, "tiny-llama3@abc");
        assertEquals(written.provenance(), read.provenance());
        assertEquals(9, read.provenance().seed());
        for (int b = 0; b < written.keyBooks().length; b++) assertArrayEquals(written.keyBooks()[b].words(), read.keyBooks()[b].words());
        for (int b = 0; b < written.valueBooks().length; b++) assertArrayEquals(written.valueBooks()[b].words(), read.valueBooks()[b].words());
        assertArrayEquals(written.lambda(1, 1), read.lambda(1, 1));
        // r is not a codebook property: the same file serves another window
        assertEquals(64, CodebookFile.read(file, (VqSpec) MethodSpec.parse("vecinfer:k=d4b5,v=d2b4,r=64"), CalibrationTest.LAYOUT, null).spec().window());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "vecinfer:k=d4b5,v=d2b4 | 3 | 2 | 16 | tiny-llama3@abc | layers | 3 | 2",
            "vecinfer:k=d4b5,v=d2b4 | 2 | 1 | 16 | tiny-llama3@abc | kv_heads | 1 | 2",
            "vecinfer:k=d4b5,v=d2b4 | 2 | 2 | 32 | tiny-llama3@abc | head_dim | 32 | 16",
            "vecinfer:k=d8b5,v=d2b4 | 2 | 2 | 16 | tiny-llama3@abc | k_n | 8 | 4",
            "vecinfer:k=d4b6,v=d2b4 | 2 | 2 | 16 | tiny-llama3@abc | k_m | 6 | 5",
            "vecinfer:k=d4b5,v=d4b4 | 2 | 2 | 16 | tiny-llama3@abc | v_n | 4 | 2",
            "vecinfer:k=d4b5,v=d2b3 | 2 | 2 | 16 | tiny-llama3@abc | v_m | 3 | 4",
            "vecinfer:k=d4b5,v=d2b4,scope=head | 2 | 2 | 16 | tiny-llama3@abc | scope | head | layer",
            "vecinfer:k=d4b5,v=d2b4,smooth=off | 2 | 2 | 16 | tiny-llama3@abc | smooth | off | on",
            "rawvq:k=d4b5,v=d2b4,scope=layer | 2 | 2 | 16 | tiny-llama3@abc | method | rawvq | vecinfer",
            "vecinfer:k=d4b5,v=d2b4 | 2 | 2 | 16 | qwen3-tiny@def | model | qwen3-tiny@def | tiny-llama3@abc",
    })
    void refusesAnotherModelOrConfigNamingTheField(String spec, int layers, int kvHeads, int headDim, String model,
                                                   String field, String expected, String found) {
        KvLayout layout = new KvLayout(layers, kvHeads, kvHeads * 2, headDim);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CodebookFile.read(file, (VqSpec) MethodSpec.parse(spec), layout, model));
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()) && m.contains("'" + field + "'") && m.contains("expected " + expected)
                && m.contains("found " + found), m);
    }

    @Test
    void metadataRecordsWhereTheCodebooksCameFrom() {
        try (var f = io.vecinfer.safetensors.SafeTensorsFile.open(file)) {
            var meta = f.metadata();
            assertEquals(SPEC, meta.get("method_spec"));
            assertEquals("tiny-llama3@abc", meta.get("model"));
            assertEquals(written.provenance().calibrationSha256(), meta.get("calibration_sha256"));
            assertEquals("2", meta.get("kmeans_iterations"));
            assertTrue(f.info("keys.codebooks").hasShape(2, 32, 4));
            assertTrue(f.info("keys.smooth").hasShape(2, 2, 16));
        }
    }
}
