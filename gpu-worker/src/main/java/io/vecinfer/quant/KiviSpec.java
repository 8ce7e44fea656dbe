package io.vecinfer.quant;

import java.util.List;

/** KIVI: per-channel keys and per-token values, scalar asymmetric quantization, fp16 residual window R. */
public record KiviSpec(KiviShape keys, KiviShape values, int window) implements MethodSpec {

    public KiviSpec {
        if (window < 1) throw new IllegalArgumentException("residual window " + window + " must be positive");
    }

    static KiviSpec parse(String whole, String text) {
        SpecOptions o = SpecOptions.parse(whole, text, List.of("k", "v", "r"));
        return new KiviSpec(KiviShape.parse(o, "k"), KiviShape.parse(o, "v"), o.positiveInt("r", VqSpec.DEFAULT_WINDOW));
    }

    @Override
    public String spec() {
        return "kivi:k=" + keys + ",v=" + values + ",r=" + window;
    }

    @Override
    public String toString() {
        return spec();
    }
}
