package io.vecinfer.model;

import io.vecinfer.kvcache.KvLayout;

import java.nio.file.Path;

/** An opened checkpoint: its config and memory-mapped weights. Close it to unmap the files. */
public record Model(String name, ModelConfig config, Weights weights, Checkpoint checkpoint) implements AutoCloseable {

    public static Model load(Path folder) {
        Checkpoint checkpoint = Checkpoint.open(folder);
        try {
            return new Model(nameOf(folder), checkpoint.config(), Weights.load(checkpoint), checkpoint);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** A checkpoint's name as reports show it: its folder's name. */
    public static String nameOf(Path folder) {
        Path fileName = folder.toAbsolutePath().normalize().getFileName();
        return fileName == null ? folder.toString() : fileName.toString();
    }

    public KvLayout kvLayout() {
        return new KvLayout(config.numLayers(), config.numKvHeads(), config.numHeads(), config.headDim());
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
