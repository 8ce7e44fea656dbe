package io.vecinfer.quant.calib;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.Provenance;
import io.vecinfer.safetensors.SafeTensorsFile;
import io.vecinfer.safetensors.SafeTensorsWriter;
import io.vecinfer.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A codebook set on disk: safetensors with {@code keys.codebooks} [books, 2^m, n],
 * {@code values.codebooks} [books, 2^m, n] and, with smoothing, {@code keys.smooth}
 * [layers, kv_heads, head_dim], all F32 (the values are already fp16-rounded), plus metadata naming
 * the model, the layout, the method and where the codebooks came from. Loading refuses a file made for
 * another model or configuration, naming the field, rather than running with wrong codebooks.
 * The residual window r is not a codebook property: one file serves every r.
 */
public final class CodebookFile {
    public static final String FORMAT = "vecinfer-codebooks/1";
    private static final String KEY_BOOKS = "keys.codebooks", VALUE_BOOKS = "values.codebooks", SMOOTH = "keys.smooth";

    private CodebookFile() {
    }

    public static void write(Path path, CodebookSet set) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter();
        expectedFields(set.spec(), set.layout()).forEach(w::metadata);
        Provenance p = set.provenance();
        w.metadata("method_spec", set.spec().spec())
                .metadata("model", p.model())
                .metadata("calibration_sha256", p.calibrationSha256())
                .metadata("seed", Long.toString(p.seed()))
                .metadata("kmeans_iterations", Integer.toString(p.kmeansIterations()));
        putBooks(w, KEY_BOOKS, set.keyBooks());
        putBooks(w, VALUE_BOOKS, set.valueBooks());
        if (set.spec().smooth()) {
            KvLayout l = set.layout();
            float[] all = new float[l.layers() * l.kvHeads() * l.headDim()];
            for (int layer = 0; layer < l.layers(); layer++) {
                for (int h = 0; h < l.kvHeads(); h++) {
                    System.arraycopy(set.lambda(layer, h), 0, all, (layer * l.kvHeads() + h) * l.headDim(), l.headDim());
                }
            }
            w.f32(SMOOTH, all, l.layers(), l.kvHeads(), l.headDim());
        }
        w.write(path);
    }

    /**
     * Loads codebooks for {@code spec} on a model of {@code layout}; {@code model} null accepts any model identity.
     */
    public static CodebookSet read(Path path, VqSpec spec, KvLayout layout, String model) {
        try (SafeTensorsFile f = SafeTensorsFile.open(path)) {
            Map<String, String> meta = f.metadata();
            Map<String, String> expected = expectedFields(spec, layout);
            if (model != null) expected.put("model", model);
            for (Map.Entry<String, String> e : expected.entrySet()) {
                String found = meta.get(e.getKey());
                if (!e.getValue().equals(found)) {
                    throw new IllegalArgumentException(path + ": codebooks made for another model or config: field '" + e.getKey()
                            + "' expected " + e.getValue() + ", found " + (found == null ? "nothing" : found));
                }
            }
            int d = layout.headDim();
            Codebook[] keys = readBooks(f, KEY_BOOKS, spec.scope().count(layout, spec.keys().subspaces(d)), spec.keys().codewords(), spec.keys().dims());
            Codebook[] values = readBooks(f, VALUE_BOOKS, spec.scope().count(layout, spec.values().subspaces(d)), spec.values().codewords(), spec.values().dims());
            float[][] lambdas = null;
            if (spec.smooth()) {
                float[] all = readShaped(f, SMOOTH, layout.layers(), layout.kvHeads(), d);
                lambdas = new float[layout.layers() * layout.kvHeads()][];
                for (int i = 0; i < lambdas.length; i++) lambdas[i] = Arrays.copyOfRange(all, i * d, (i + 1) * d);
            }
            Provenance provenance = new Provenance(meta.getOrDefault("model", ""), meta.getOrDefault("calibration_sha256", ""),
                    Long.parseLong(meta.getOrDefault("seed", "0")), Integer.parseInt(meta.getOrDefault("kmeans_iterations", "0")));
            return new CodebookSet(spec, layout, lambdas, keys, values, provenance);
        }
    }

    /** The metadata that must match between a file and the spec and layout it is loaded for. */
    private static Map<String, String> expectedFields(VqSpec spec, KvLayout layout) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("method", spec.method().label());
        m.put("layers", Integer.toString(layout.layers()));
        m.put("kv_heads", Integer.toString(layout.kvHeads()));
        m.put("head_dim", Integer.toString(layout.headDim()));
        m.put("k_n", Integer.toString(spec.keys().dims()));
        m.put("k_m", Integer.toString(spec.keys().bits()));
        m.put("v_n", Integer.toString(spec.values().dims()));
        m.put("v_m", Integer.toString(spec.values().bits()));
        m.put("scope", spec.scope().label());
        m.put("smooth", spec.smooth() ? "on" : "off");
        m.put("hadamard", spec.hadamard() ? "on" : "off");
        return m;
    }

    private static void putBooks(SafeTensorsWriter w, String name, Codebook[] books) {
        int size = books[0].size(), dims = books[0].dims();
        float[] all = new float[books.length * size * dims];
        for (int b = 0; b < books.length; b++) System.arraycopy(books[b].words(), 0, all, b * size * dims, size * dims);
        w.f32(name, all, books.length, size, dims);
    }

    private static Codebook[] readBooks(SafeTensorsFile f, String name, int count, int size, int dims) {
        float[] all = readShaped(f, name, count, size, dims);
        Codebook[] books = new Codebook[count];
        for (int b = 0; b < count; b++) books[b] = new Codebook(dims, size, Arrays.copyOfRange(all, b * size * dims, (b + 1) * size * dims));
        return books;
    }

    private static float[] readShaped(SafeTensorsFile f, String name, long... shape) {
        TensorInfo info = f.info(name);
        if (!info.hasShape(shape)) {
            throw new IllegalArgumentException(f.path() + ": tensor '" + name + "' expected shape " + Arrays.toString(shape)
                    + ", found " + info.shapeString());
        }
        return f.readFloats(name);
    }
}
