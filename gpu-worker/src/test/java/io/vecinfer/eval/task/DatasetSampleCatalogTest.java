package io.vecinfer.eval.task;

import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sample ids from config.json and tokenizer.json alone: what a Spark driver lists without loading a model. */
class DatasetSampleCatalogTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");

    @TempDir
    Path dir;

    /** The reference model without its weights: a listing that opened them would fail here. */
    private Path configAndTokenizerOnly() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("reference-model"));
        for (String file : List.of("config.json", "tokenizer.json")) Files.copy(RepoPaths.referenceModel().resolve(file), folder.resolve(file));
        return folder;
    }

    @Test
    void listsTheRunnersIdsWithoutTheWeights() throws Exception {
        Path noWeights = configAndTokenizerOnly();
        DatasetSampleCatalog catalog = new DatasetSampleCatalog(DATASETS);
        try (CpuCellRunner runner = new CpuCellRunner(DATASETS)) {
            for (String task : List.of("perplexity", "passkey", "fidelity")) {
                int context = task.equals("passkey") ? 1024 : 256;
                List<String> listed = catalog.sampleIds(new Cell(noWeights.toString(), "fp16", null, task, context, 1, 0), 3);
                List<String> byRunner = runner.sampleIds(new Cell(RepoPaths.referenceModel().toString(), "fp16", null, task, context, 1, 0), 3);
                assertEquals(3, listed.size(), task);
                assertEquals(byRunner, listed, task);
            }
        }
    }

    @Test
    void aModelWithoutTokenizerIsNamed() throws Exception {
        Path folder = configAndTokenizerOnly();
        Files.delete(folder.resolve("tokenizer.json"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DatasetSampleCatalog(DATASETS).sampleIds(new Cell(folder.toString(), "fp16", null, "perplexity", 128, 1, 0), 1));
        assertTrue(e.getMessage().contains(folder.resolve("tokenizer.json").toString()), e.getMessage());
    }
}
