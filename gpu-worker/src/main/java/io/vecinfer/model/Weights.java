package io.vecinfer.model;

import io.vecinfer.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/** Every weight of a Llama-family decoder, under Hugging Face's tensor names. Optional parts are null. */
public record Weights(WeightMatrix embedding, List<Layer> layers, float[] finalNorm, WeightMatrix lmHead) {

    public record Layer(
            float[] attentionNorm,
            WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
            float[] bq, float[] bk, float[] bv,
            float[] qNorm, float[] kNorm,
            float[] ffnNorm,
            WeightMatrix gate, WeightMatrix up, WeightMatrix down) {
    }

    public static Weights load(Checkpoint checkpoint) {
        ModelConfig c = checkpoint.config();
        int dim = c.hiddenSize(), qDim = c.numHeads() * c.headDim(), kvDim = c.numKvHeads() * c.headDim();
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            layers.add(new Layer(
                    checkpoint.vector(p + "input_layernorm.weight", dim),
                    checkpoint.matrix(a + "q_proj.weight", qDim, dim),
                    checkpoint.matrix(a + "k_proj.weight", kvDim, dim),
                    checkpoint.matrix(a + "v_proj.weight", kvDim, dim),
                    checkpoint.matrix(a + "o_proj.weight", dim, qDim),
                    c.attentionBias() ? checkpoint.vector(a + "q_proj.bias", qDim) : null,
                    c.attentionBias() ? checkpoint.vector(a + "k_proj.bias", kvDim) : null,
                    c.attentionBias() ? checkpoint.vector(a + "v_proj.bias", kvDim) : null,
                    c.qkNorm() ? checkpoint.vector(a + "q_norm.weight", c.headDim()) : null,
                    c.qkNorm() ? checkpoint.vector(a + "k_norm.weight", c.headDim()) : null,
                    checkpoint.vector(p + "post_attention_layernorm.weight", dim),
                    checkpoint.matrix(p + "mlp.gate_proj.weight", c.intermediateSize(), dim),
                    checkpoint.matrix(p + "mlp.up_proj.weight", c.intermediateSize(), dim),
                    checkpoint.matrix(p + "mlp.down_proj.weight", dim, c.intermediateSize())));
        }
        WeightMatrix embedding = checkpoint.matrix("model.embed_tokens.weight", c.vocabSize(), dim);
        boolean tied = c.tieWordEmbeddings() || !checkpoint.has("lm_head.weight");
        if (tied && !c.tieWordEmbeddings()) {
            throw new CheckpointException(checkpoint.folder() + ": tensor 'lm_head.weight' is missing and config.json"
                    + " does not set tie_word_embeddings");
        }
        WeightMatrix lmHead = tied ? embedding : checkpoint.matrix("lm_head.weight", c.vocabSize(), dim);
        return new Weights(embedding, List.copyOf(layers), checkpoint.vector("model.norm.weight", dim), lmHead);
    }
}
