package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.SampleResult;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** One per-sample row, by column name ({@link SampleColumns}), from what ran, where, and what came out. */
public final class SampleRows {
    private SampleRows() {
    }

    /** @param modelId the model's checkpoint identity ({@link io.vecinfer.calibrate.ModelIdentity}), as the driver hashed it */
    public static Map<String, Object> of(Cell cell, String modelId, SampleResult result, ResourceBinding binding, String codeVersion, Instant writtenAt) {
        MethodSpec method = MethodSpec.parse(cell.method());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", cell.model());
        row.put("model_id", modelId);
        row.put("model_variant", io.vecinfer.model.ModelVariant.describe(java.nio.file.Path.of(cell.model())));
        row.put("method", cell.method());
        row.put("key_config", method.keyConfig());
        row.put("value_config", method.valueConfig());
        row.put("residual_window", method.residualWindow());
        row.put("codebook_scope", method.codebookScope());
        row.put("codebook", cell.codebook());
        row.put("task", cell.task());
        row.put("sample_id", result.sampleId());
        row.put("context_length", cell.contextLength());
        row.put("context_tokens", result.contextTokens());
        row.put("context_bucket", result.contextBucket());
        row.put("batch_size", cell.batchSize());
        row.put("device_batch", result.deviceBatch() > 0 ? result.deviceBatch() : null);
        row.put("seed", cell.seed());
        row.put("task_inputs", CellCodec.inputsJson(cell));
        row.put("prefill", cell.prefill().label());
        row.put("scores", new TreeMap<>(result.scores()));
        row.put("prediction", result.prediction());
        row.put("reference", result.reference());
        row.put("prefill_ms", result.prefillMillis());
        row.put("decode_ms_per_token", result.decodeMillisPerToken());
        row.put("batch_ms", result.deviceBatch() > 0 ? result.batchMillis() : null);
        row.put("generated_tokens", result.generatedTokens());
        row.put("kv_bytes", result.kvBytes());
        row.put("kv_bytes_per_token", result.kvBytesPerToken());
        row.put("compression_ratio", result.compressionRatio());
        row.put("peak_memory_bytes", result.peakMemoryBytes());
        row.put("backend", result.backend());
        row.put("device", result.device());
        row.put("gpu_address", binding.gpuAddress());
        row.put("executor_id", binding.executorId());
        row.put("host", binding.host());
        row.put("code_version", codeVersion);
        row.put("written_at", writtenAt);
        return row;
    }
}
