package io.vecinfer.cuda.eval;

import io.vecinfer.cuda.ops.Matmul;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.cuda.Gpu;
import io.vecinfer.cuda.decoder.CudaBackend;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.CpuCellRunner;
import io.vecinfer.eval.task.KvMethods;
import io.vecinfer.eval.task.ModelCellRunner;
import io.vecinfer.eval.task.SampleResult;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: what an executor with a GPU runs. The same cells on the CUDA runner and on the CPU runner, sharing one
 * set of calibrated codebooks, give the same scores, under prefill=compressed and prefill=exact; rows name the backend
 * that ran them, fp32 cells (no CUDA kernels) run on the CPU and say so, and the CUDA rows meter device memory.
 */
class CudaCellRunnerTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");
    private static final String MODEL = RepoPaths.referenceModel().toString();

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "fp16; perplexity; 512; nll; compressed; cuda",
            "vecinfer:k=d4b8,v=d4b8,r=32; perplexity; 512; nll; compressed; cuda",
            "vecinfer:k=d4b8,v=d4b8,r=32; fidelity; 256; kl; compressed; cuda",
            "rawvq:k=d4b8,v=d4b8,r=32; passkey; 512; accuracy; compressed; cuda",
            "fp16; passkey; 512; accuracy; exact; cuda",
            // prefill=exact VQ: the prompt attended by the fp16 kernels, encoded on the device when it ends.
            "rawvq:k=d4b8,v=d4b8,r=32; passkey; 512; accuracy; exact; cuda",
            "vecinfer:k=d4b8,v=d4b8,r=32; passkey; 1024; accuracy; exact; cuda",
            "vecinfer:k=d4b8,v=d4b8,r=32; fidelity; 256; kl; exact; cuda",
            "kivi:k=b2g32,v=b2g32,r=32; perplexity; 512; nll; compressed; cuda",
            "kivi:k=b2g32,v=b2g32,r=32; passkey; 512; accuracy; exact; cuda",
            "fp32; perplexity; 512; nll; compressed; cpu"})
    void cudaRunnerScoresAsTheCpuRunner(String method, String task, int context, String score, String prefill, String backend) {
        Gpu.device().close(); // skips without a GPU
        KvMethods methods = new KvMethods(new Calibrator.Settings(DATASETS.resolve("calibration/calibration.jsonl"), 2, 512, 4, 0));
        Cell cell = new Cell(MODEL, method, null, task, context, 2, 0, io.vecinfer.kvcache.Prefill.parse(prefill));
        try (ModelCellRunner gpu = new ModelCellRunner(DATASETS, methods, new CudaBackend(0, Matmul.Precision.EXACT));
             CpuCellRunner cpu = new CpuCellRunner(DATASETS, methods)) {
            List<String> ids = cpu.sampleIds(cell, 2);
            assertEquals(ids, gpu.sampleIds(cell, 2));
            List<SampleResult> expected = cpu.run(cell, ids), actual = gpu.run(cell, ids);
            for (int i = 0; i < ids.size(); i++) {
                SampleResult e = expected.get(i), a = actual.get(i);
                String where = method + " " + task + " " + ids.get(i);
                assertEquals(backend, a.backend(), where);
                assertTrue(a.device().startsWith(backend.equals("cuda") ? "cuda:0 (" : "cpu:"), where + ": " + a.device());
                // nll and KL are means over hundreds of tokens of logits that agree to 2e-3 relative (DecoderPair)
                assertEquals(e.scores().get(score), a.scores().get(score), 2e-3 * Math.max(1, Math.abs(e.scores().get(score))), where);
                assertEquals(e.kvBytes(), a.kvBytes(), where + ": KV bytes");
                assertTrue(a.peakMemoryBytes() > 0, where + ": peak memory");
            }
        }
    }
}
