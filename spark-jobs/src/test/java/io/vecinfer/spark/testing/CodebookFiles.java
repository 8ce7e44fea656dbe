package io.vecinfer.spark.testing;

import io.vecinfer.calibrate.ModelIdentity;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.Provenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Codebook files with random codewords, in the worker's format, for a model folder or for another model or layout. */
public final class CodebookFiles {
    private CodebookFiles() {
    }

    /** The layout of a model folder, from its config.json. */
    public static KvLayout layoutOf(String modelFolder) {
        ModelConfig c = ModelConfig.load(Path.of(modelFolder, "config.json"));
        return new KvLayout(c.numLayers(), c.numKvHeads(), c.numHeads(), c.headDim());
    }

    /** A whole file for {@code method} on the model in {@code modelFolder}. */
    public static Path forModel(Path file, String method, String modelFolder) {
        return write(file, method, layoutOf(modelFolder), ModelIdentity.of(Path.of(modelFolder)));
    }

    /** A whole file for {@code method} on a model of {@code layout} whose identity is {@code model}. */
    public static Path write(Path file, String method, KvLayout layout, String model) {
        VqSpec spec = (VqSpec) MethodSpec.parse(method);
        Random random = new Random(file.toString().hashCode());
        int d = layout.headDim(), heads = layout.layers() * layout.kvHeads();
        float[][] lambdas = null;
        if (spec.smooth()) {
            lambdas = new float[heads][d];
            for (float[] l : lambdas) for (int i = 0; i < d; i++) l[i] = 0.5f + random.nextFloat();
        }
        Codebook[] keys = books(random, spec.scope().count(layout, spec.keys().subspaces(d)), spec.keys().dims(), spec.keys().codewords());
        Codebook[] values = books(random, spec.scope().count(layout, spec.values().subspaces(d)), spec.values().dims(), spec.values().codewords());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            CodebookFile.write(file, new CodebookSet(spec, layout, lambdas, keys, values, new Provenance(model, "test", 0, 0)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static Codebook[] books(Random random, int count, int dims, int size) {
        Codebook[] books = new Codebook[count];
        for (int b = 0; b < count; b++) {
            float[] words = new float[size * dims];
            for (int i = 0; i < words.length; i++) words[i] = (float) random.nextGaussian();
            books[b] = new Codebook(dims, size, words);
        }
        return books;
    }
}
