package io.vecinfer.eval.task;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compressed caches through the real tasks on the shipped model: calibrated on demand or from a file. */
class CompressedCellsTest {
    private static final String MODEL = RepoPaths.referenceModel().toString();
    private static final String VECINFER_2BIT = "vecinfer:k=d4b8,v=d4b8,r=32";
    private static CpuCellRunner runner;

    @BeforeAll
    static void open() {
        runner = new CpuCellRunner(RepoPaths.root().resolve("datasets"));
    }

    @AfterAll
    static void close() {
        runner.close();
    }

    private static List<SampleResult> fidelity(String method, String codebook) {
        Cell cell = new Cell(MODEL, method, codebook, "fidelity", 192, 2, 0);
        return runner.run(cell, runner.sampleIds(cell, 2));
    }

    @Test
    void twoBitVecInferIsCloseToFp16AndSmallerByItsBitWidth() {
        for (SampleResult r : fidelity(VECINFER_2BIT, null)) {
            double kl = r.scores().get("kl");
            assertTrue(kl > 0 && kl < 0.5, "KL of 2-bit VecInfer " + kl);
            assertTrue(r.scores().get("top1_agreement") > 0.6, "top-1 agreement " + r.scores().get("top1_agreement"));
            // 193 prompt tokens + 15 decoded = 208 in cache: 192 in 2-bit codes, 16 still in the fp16 window.
            assertTrue(r.compressionRatio() > 3 && r.compressionRatio() < 8, "compression " + r.compressionRatio());
        }
    }

    @Test
    void aCodebookFileGivesTheSameScoresAsCalibratingOnDemand(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("books.safetensors");
        try (Model model = Model.load(Path.of(MODEL))) {
            var set = Calibrator.calibrate(model, Tokenizer.load(Path.of(MODEL, "tokenizer.json")),
                    (VqSpec) MethodSpec.parse(VECINFER_2BIT), new Calibrator.Settings(
                            RepoPaths.root().resolve("datasets/calibration/calibration.jsonl"),
                            KvMethods.CALIBRATION_WINDOWS, KvMethods.CALIBRATION_WINDOW_TOKENS, 30, 0));
            CodebookFile.write(file, set);
        }
        List<SampleResult> fromFile = fidelity(VECINFER_2BIT, file.toString());
        List<SampleResult> onDemand = fidelity(VECINFER_2BIT, null);
        for (int i = 0; i < fromFile.size(); i++) assertEquals(onDemand.get(i).scores(), fromFile.get(i).scores());
    }

    @Test
    void aCodebookFileForAnotherConfigIsRefused(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("books.safetensors");
        try (Model model = Model.load(Path.of(MODEL))) {
            var set = Calibrator.calibrate(model, Tokenizer.load(Path.of(MODEL, "tokenizer.json")),
                    (VqSpec) MethodSpec.parse("vecinfer:k=d8b8,v=d8b8"), new Calibrator.Settings(
                            RepoPaths.root().resolve("datasets/calibration/calibration.jsonl"), 2, 256, 2, 0));
            CodebookFile.write(file, set);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> fidelity(VECINFER_2BIT, file.toString()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("another model or config"), e.getMessage());
    }

    @Test
    void kiviRunsOnTheSamePath() {
        for (SampleResult r : fidelity("kivi:k=b2g32,v=b2g32,r=32", null)) {
            assertTrue(r.scores().get("kl") > 0, "KIVI changes the distribution");
            assertTrue(r.compressionRatio() > 2, "compression " + r.compressionRatio());
        }
    }
}
