package io.vecinfer.spark;

import io.vecinfer.calibrate.ModelIdentity;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calibrate on a local Spark with the real calibrator on the reference model, at tiny settings. */
class CalibrateTest {
    private static final String VECINFER = "vecinfer:k=d8b8,v=d8b8,r=32";
    /** The same codebooks as {@link #VECINFER}: only the residual window differs. */
    private static final String VECINFER_OTHER_WINDOW = "vecinfer:k=d8b8,v=d8b8,r=64";
    private static final String RAWVQ = "rawvq:k=d8b8,v=d8b8,r=32";
    private static final List<String> METHODS = List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32", VECINFER, VECINFER_OTHER_WINDOW, RAWVQ);
    /** 2 windows × 128 tokens × 2 KV heads × 16 sub-spaces = 8192 sub-vectors per layer codebook, enough for 256 codewords. */
    private static final String TINY_CALIBRATION = "{\"text\": \"" + Sweeps.repoRoot().resolve("datasets/calibration/calibration.jsonl")
            + "\", \"windows\": 2, \"windowTokens\": 128, \"iterations\": 2}";

    @TempDir
    Path dir;

    private Path sweep(String model, String calibration) {
        String methods = METHODS.stream().map(m -> "\"" + m + "\"").collect(Collectors.joining(", "));
        return Sweeps.writeText(dir.resolve("sweep.json"), """
                {
                  "models": ["%s"],
                  "methods": [%s],
                  "tasks": [{"name": "perplexity", "limit": 2, "contextLengths": [128]}],
                  "batchSizes": [2],
                  "calibration": %s,
                  "output": "%s"
                }
                """.formatted(model, methods, calibration, dir.resolve("out")));
    }

    private Map<Path, FileTime> codebookFiles() {
        Path folder = dir.resolve("out/codebooks");
        if (!Files.isDirectory(folder)) return Map.of();
        try (Stream<Path> files = Files.list(folder)) {
            Map<Path, FileTime> times = new TreeMap<>();
            for (Path f : files.toList()) times.put(f, Files.getLastModifiedTime(f));
            return times;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void oneLoadableFilePerModelAndVqMethodAndARerunWritesNothing() {
        SweepFile sweep = SweepFile.read(sweep(Sweeps.referenceModel(), TINY_CALIBRATION));
        Calibrate.Outcome first = Calibrate.run(LocalSpark.session(), sweep);
        // vecinfer at two windows shares one file; fp16 and KIVI have no codebooks.
        assertEquals(2, first.planned());
        assertEquals(2, first.fitted().size());
        Map<Path, FileTime> files = codebookFiles();
        assertEquals(2, files.size(), "files: " + files.keySet());
        files.keySet().forEach(f -> assertTrue(CalibratedCodebooks.isCalibratedFile(f.toString()), "not a calibrated name: " + f));

        try (Model model = Model.load(Path.of(Sweeps.referenceModel()))) {
            for (CalibrateTask.Fitted fitted : first.fitted()) {
                assertTrue(fitted.written());
                VqSpec spec = (VqSpec) MethodSpec.parse(fitted.method());
                assertNotNull(CodebookFile.read(Path.of(fitted.file()), spec, model.kvLayout(), ModelIdentity.of(model)));
            }
        }

        Calibrate.Outcome rerun = Calibrate.run(LocalSpark.session(), sweep);
        assertEquals(2, rerun.alreadyDone());
        assertTrue(rerun.fitted().isEmpty());
        assertEquals(files, codebookFiles());
    }

    @Test
    void evaluateUsesCalibratedFilesOnceTheyExist() {
        SweepFile sweep = SweepFile.read(sweep(Sweeps.referenceModel(), TINY_CALIBRATION));
        Path out = dir.resolve("out");
        Evaluate.Outcome before = Evaluate.run(LocalSpark.session(), sweep);
        assertEquals(10, before.committedNow());
        assertTrue(LocalSpark.rawSamples(out).collectAsList().stream().allMatch(r -> r.getAs("codebook") == null));

        Calibrate.run(LocalSpark.session(), sweep);
        Evaluate.Outcome after = Evaluate.run(LocalSpark.session(), sweep);
        // The three VQ cells are new cells now (their codebook is part of the config); fp16 and KIVI are done.
        assertEquals(4, after.alreadyDone());
        assertEquals(6, after.committedNow());
        Map<String, String> codebookByMethod = LocalSpark.rawSamples(out).collectAsList().stream()
                .filter(r -> r.getAs("codebook") != null)
                .collect(Collectors.toMap(r -> r.getAs("method"), r -> r.getAs("codebook"), (a, b) -> a));
        assertEquals(java.util.Set.of(VECINFER, VECINFER_OTHER_WINDOW, RAWVQ), codebookByMethod.keySet());
        assertEquals(codebookByMethod.get(VECINFER), codebookByMethod.get(VECINFER_OTHER_WINDOW));
        codebookByMethod.values().forEach(f -> assertTrue(codebookFiles().containsKey(Path.of(f)), f));
        LocalEvaluateTest.assertExactlyOnceWithRightScores(out, 16);
        assertEquals(0, Evaluate.run(LocalSpark.session(), sweep).committedNow());
    }

    @Test
    void anUnknownModelAndMissingTextFailBeforeAnyWork() {
        SweepFile sweep = SweepFile.read(sweep(dir.resolve("no-such-model").toString(),
                "{\"text\": \"" + dir.resolve("missing.jsonl") + "\", \"windows\": 2}"));
        SweepSpecException e = assertThrows(SweepSpecException.class, () -> Calibrate.run(LocalSpark.session(), sweep));
        assertTrue(e.getMessage().contains("models[0]: not a model folder (no config.json): " + dir.resolve("no-such-model")), e.getMessage());
        assertTrue(e.getMessage().contains("calibration.text: calibration text not found: " + dir.resolve("missing.jsonl")), e.getMessage());
        assertEquals(Map.of(), codebookFiles());
    }
}
