package io.vecinfer.cuda.eval;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.cuda.decoder.CudaBackend;
import io.vecinfer.cuda.decoder.DeviceBatchFit;
import io.vecinfer.eval.task.BatchSize;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.KvMethods;
import io.vecinfer.eval.task.ModelCellRunner;
import io.vecinfer.eval.task.SampleResult;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: an auto batch on a real device takes a whole slice of the reference model's short passkey prompts, scores
 * as batch 1 does, and a sequence too long for the device's memory fails naming the bytes it needs and the bytes free.
 */
class CudaAutoBatchGpuTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");
    private static final String MODEL = RepoPaths.referenceModel().toString();

    @Test
    void autoTakesTheWholeSliceAndScoresAsBatchOne() {
        Gpu.device().close(); // skips without a GPU
        KvMethods methods = new KvMethods(new Calibrator.Settings(DATASETS.resolve("calibration/calibration.jsonl"), 2, 512, 4, 0));
        // EXACT projections: each row's sums do not depend on how many rows a pass has, so batching cannot move an argmax.
        try (ModelCellRunner runner = new ModelCellRunner(DATASETS, methods, new CudaBackend(0, io.vecinfer.cuda.ops.Matmul.Precision.EXACT))) {
            for (String method : List.of("fp16", "vecinfer:k=d4b8,v=d4b8,r=32")) {
                Cell auto = new Cell(MODEL, method, null, "passkey", 512, BatchSize.AUTO_CODE, 0, io.vecinfer.kvcache.Prefill.COMPRESSED);
                Cell one = new Cell(MODEL, method, null, "passkey", 512, 1, 0, io.vecinfer.kvcache.Prefill.COMPRESSED);
                List<String> ids = runner.sampleIds(auto, 6);
                List<SampleResult> batched = runner.run(auto, ids), single = runner.run(one, ids);
                assertTrue(batched.stream().allMatch(r -> r.deviceBatch() == ids.size() && r.backend().equals("cuda")),
                        method + ": " + batched.stream().map(SampleResult::deviceBatch).toList());
                assertTrue(single.stream().allMatch(r -> r.deviceBatch() == 1));
                for (int i = 0; i < ids.size(); i++) {
                    assertEquals(single.get(i).prediction(), batched.get(i).prediction(), method + " " + ids.get(i));
                }
            }
        }
    }

    @Test
    void aSequenceLargerThanTheDeviceNamesItsBytesAndTheFreeBytes() {
        Gpu.device().close();
        try (CudaBackend backend = new CudaBackend(0); Model model = Model.load(RepoPaths.referenceModel())) {
            MethodSpec fp16 = MethodSpec.parse("fp16");
            int fits = backend.sequencesThatFit(model, fp16, 2054, "cell fp16 / passkey");
            assertTrue(fits >= 1 && fits <= io.vecinfer.cuda.decoder.CudaDecoder.MAX_CHUNK_ROWS, fits + " sequences");
            // 2^31 - 1 tokens of fp16 cache on the reference model: ~17 TB, more than any GPU.
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> backend.sequencesThatFit(model, fp16, Integer.MAX_VALUE, "cell huge"));
            assertTrue(e.getMessage().startsWith("cell huge: not even one sequence fits"), e.getMessage());
            assertTrue(e.getMessage().contains(DeviceBatchFit.cacheBytes(fp16, model.kvLayout(), Integer.MAX_VALUE) + " bytes"), e.getMessage());
        }
    }
}
