package io.vecinfer.spark;

import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.tokenizer.Tokenizer;
import org.apache.spark.api.java.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One Spark task of {@link Calibrate}: loads the model, fits the codebooks of one method and writes
 * them (temp + rename). The model is loaded here and closed after, not taken from the executor's
 * shared cell runner, because calibration happens once per file and should not pin models in memory.
 */
public final class CalibrateTask implements Function<CalibratedCodebooks.Target, CalibrateTask.Fitted> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CalibrateTask.class);

    /** A file this task wrote, or found written (a retried task whose first attempt committed). */
    public record Fitted(String file, String method, String model, double seconds, String executorId, boolean written) implements Serializable {
    }

    @Override
    public Fitted call(CalibratedCodebooks.Target target) throws Exception {
        Path file = Path.of(target.file());
        String executor = ResourceBinding.ofCurrentTask().executorId();
        if (Files.isRegularFile(file)) return new Fitted(target.file(), target.method(), target.model(), 0, executor, false);
        // The file serves every window of the method; its metadata says so by the default window.
        VqSpec spec = ((VqSpec) MethodSpec.parse(target.method())).withWindow(VqSpec.DEFAULT_WINDOW);
        long start = System.nanoTime();
        try (Model model = Model.load(Path.of(target.model()))) {
            Tokenizer tokenizer = Tokenizer.load(Path.of(target.model(), "tokenizer.json"));
            CodebookSet set = Calibrator.calibrate(model, tokenizer, spec, target.settings().forWorker());
            CodebookFile.write(file, set);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.info("calibrated {} on {} in {} s on executor {} -> {}", spec.spec(), target.model(), String.format("%.1f", seconds), executor, file);
        return new Fitted(target.file(), target.method(), target.model(), seconds, executor, true);
    }
}
