package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.calibrate.ModelIdentity;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.KvCacheFactories;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KMeansConfig;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns a cell's method spec into the cache factory for a model. VQ methods take their codebooks from
 * the cell's codebook file, checked against the model and spec, or calibrate on demand on the shipped
 * calibration text; either way each (model, codebooks) pair is loaded or fitted once per worker.
 */
public final class KvMethods {
    /** On-demand calibration: 8 windows of 512 tokens of datasets/calibration, 30 k-means iterations, seed 0. */
    public static final int CALIBRATION_WINDOWS = 8, CALIBRATION_WINDOW_TOKENS = 512;

    private final Calibrator.Settings calibration;
    private final Map<String, CodebookSet> codebooks = new HashMap<>();

    public KvMethods(Path datasets) {
        this(new Calibrator.Settings(Datasets.calibration(datasets), CALIBRATION_WINDOWS,
                CALIBRATION_WINDOW_TOKENS, KMeansConfig.PAPER_ITERATIONS, 0));
    }

    /** Methods whose on-demand calibration uses the given text and k-means settings. */
    public KvMethods(Calibrator.Settings calibration) {
        this.calibration = calibration;
    }

    public synchronized KvCacheFactory factory(String spec, Model model, Tokenizer tokenizer, String codebookFile) {
        MethodSpec method = MethodSpec.parse(spec);
        method.checkLayout(model.kvLayout());
        return KvCacheFactories.of(method, codebooks(method, model, tokenizer, codebookFile), AttentionPath.LOOKUP_TABLE);
    }

    /** The codebooks a VQ method uses on this model (null for methods without codebooks). */
    public synchronized CodebookSet codebooks(MethodSpec method, Model model, Tokenizer tokenizer, String codebookFile) {
        if (!(method instanceof VqSpec vq)) return null;
        // The window r does not change the codebooks: key the cache on the spec with a fixed window.
        String key = model.checkpoint().folder() + "|" + (codebookFile != null ? codebookFile : vq.withWindow(VqSpec.DEFAULT_WINDOW).spec());
        CodebookSet books = codebooks.computeIfAbsent(key, k -> codebookFile != null
                ? CodebookFile.read(Path.of(codebookFile), vq, model.kvLayout(), ModelIdentity.of(model))
                : Calibrator.calibrate(model, tokenizer, vq, calibration));
        // One set per (codebooks, window), kept: backends key device copies of the codebooks on the set.
        return books.spec().equals(vq) ? books : codebooks.computeIfAbsent(key + "|" + vq.spec(), k -> books.withSpec(vq));
    }
}
