package io.vecinfer.eval.task;

import io.vecinfer.chat.ChatTemplate;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a task builds its samples from: the model's name and config, its tokenizer, the datasets folder
 * and the checkpoint folder (for its tokenizer_config.json's chat template). No weights: listing a
 * sweep's samples (on a Spark driver) must not load models.
 */
public record SampleSource(String modelName, ModelConfig config, Tokenizer tokenizer, Path datasets, Path checkpoint) {

    /** The id a prompt starts with: the Llama 3 begin-of-text token where the tokenizer has it, else the config's. */
    public int bosId() {
        return tokenizer.tokenId("<|begin_of_text|>").orElse(config.bosTokenId());
    }

    /** The checkpoint's tokenizer_config.json, where its chat template is. */
    public Path tokenizerConfig() {
        return checkpoint.resolve(ChatTemplate.CONFIG_FILE);
    }

    /** The checkpoint's chat template; empty when its tokenizer_config.json has none. */
    public Optional<ChatTemplate> chatTemplate() {
        return ChatTemplate.read(tokenizerConfig());
    }
}
