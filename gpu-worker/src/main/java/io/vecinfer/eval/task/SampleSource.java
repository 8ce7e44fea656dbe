package io.vecinfer.eval.task;

import io.vecinfer.model.ModelConfig;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * What a task builds its samples from: the model's name and config, its tokenizer and the datasets
 * folder. No weights: listing a sweep's samples (on a Spark driver) must not load models.
 */
public record SampleSource(String modelName, ModelConfig config, Tokenizer tokenizer, Path datasets) {

    /** The id a prompt starts with: the Llama 3 begin-of-text token where the tokenizer has it, else the config's. */
    public int bosId() {
        return tokenizer.tokenId("<|begin_of_text|>").orElse(config.bosTokenId());
    }
}
