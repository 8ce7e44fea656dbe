import io.vecinfer.calibrate.Calibrator;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.model.Model;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.calib.CodebookFile;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.VqKvCache;
import io.vecinfer.tensor.FloatMath;
import io.vecinfer.tokenizer.Tokenizer;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How much the CPU oracle's own logits move between its two arithmetic paths, for DeviceVqKvCacheTest's prompts of one
 * seed: with the Vector API (SIMD dot products everywhere, and the nearest-codeword search ranking by ‖c‖² − 2x·c) and
 * without it (scalar sums, and the exact squared distance, as the encode kernel ranks). The paths differ by float
 * rounding only; a prompt whose codes sit on genuine near-ties turns that into flipped codes and a logit swing, which
 * the GPU, whose sums are ordered differently again, meets too. Run by vq-ranking.sh; writes the prefill logits as
 * big-endian floats.
 *   calib BOOKS                     calibrate the test's method on the test's settings, write the codebooks
 *   run BOOKS SEED OUT LENGTH...    the test's random prompts (RandomInputs(seed).ints(n, vocab) in order), prefilled
 */
public class VqRankingSensitivity {
    static final String METHOD = "vecinfer:k=d4b8,v=d4b8,r=32,smooth=off,scope=head";

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(System.getProperty("vecinfer.repo", "."));
        Path modelDir = repo.resolve("datasets/reference-model");
        VqSpec spec = (VqSpec) MethodSpec.parse(METHOD);
        Model model = Model.load(modelDir);
        Path books = Path.of(args[1]);
        if (args[0].equals("calib")) {
            Calibrator.Settings quick = new Calibrator.Settings(repo.resolve("datasets/calibration/calibration.jsonl"), 2, 512, 4, 0);
            CodebookFile.write(books, Calibrator.calibrate(model, Tokenizer.load(modelDir.resolve("tokenizer.json")), spec, quick));
            return;
        }
        CodebookSet set = CodebookFile.read(books, spec, model.kvLayout(), null);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[2]));
        List<int[]> prompts = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            int[] p = new int[Integer.parseInt(args[i])];
            for (int t = 0; t < p.length; t++) p[t] = random.nextInt(model.config().vocabSize());
            prompts.add(p);
        }
        List<Sequence<KvCache>> sequences = new ArrayList<>();
        for (int s = 0; s < prompts.size(); s++) {
            sequences.add(new Sequence<>((KvCache) VqKvCache.factory(set, AttentionPath.LOOKUP_TABLE).create(model.kvLayout())));
        }
        float[][] logits = new Decoder(model).forwardAll(sequences, prompts);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[3])))) {
            out.writeInt(logits.length);
            out.writeInt(logits[0].length);
            for (float[] row : logits) for (float v : row) out.writeFloat(v);
        }
        System.out.println("seed " + args[2] + ": " + logits.length + " rows, Vector API " + FloatMath.vectorized());
    }
}
