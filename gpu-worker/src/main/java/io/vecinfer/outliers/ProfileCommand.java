package io.vecinfer.outliers;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.calibrate.Arguments;
import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.model.Model;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;

/**
 * Prints the key-channel profile of any model the evaluator loads (max |K| per channel over calibration
 * text, largest channel over median, for raw keys and after each transform).
 *
 * <pre>
 *   java ... io.vecinfer.outliers.ProfileCommand --model datasets/reference-model [--text datasets/calibration/calibration.jsonl]
 * </pre>
 */
public final class ProfileCommand {
    private ProfileCommand() {
    }

    public static void main(String[] args) {
        Arguments a = Arguments.parse(args, List.of("model"), List.of("text", "windows"));
        Path folder = Path.of(a.get("model"));
        try (Model model = Model.load(folder)) {
            var settings = new Calibrator.Settings(Path.of(a.get("text", Datasets.calibration(Datasets.folder()).toString())),
                    a.integer("windows", 4), 512, 0, 0);
            var profile = KeyChannelProfile.measure(Calibrator.collect(model, Tokenizer.load(folder.resolve("tokenizer.json")), settings));
            System.out.println(model.name() + ": key channel max / median, " + settings.windows() + " x 512 calibration tokens");
            System.out.print(KeyChannelProfile.table(profile));
        }
    }
}
