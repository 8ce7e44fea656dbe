package io.vecinfer.quant;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code b{bits}g{G}}: KIVI's asymmetric scalar quantization to {@code bits} bits with one fp16 scale
 * and zero point per group of {@code G} elements (keys: G tokens of one channel; values: G channels of
 * one token).
 */
public record KiviShape(int bits, int group) {
    private static final Pattern FORM = Pattern.compile("b(\\d{1,3})g(\\d{1,9})");

    public KiviShape {
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("KIVI bits " + bits + " not in 1..8");
        if (group <= 0) throw new IllegalArgumentException("KIVI group " + group + " not positive");
    }

    static KiviShape parse(SpecOptions options, String key) {
        String text = options.required(key);
        Matcher m = FORM.matcher(text);
        if (!m.matches()) throw options.error(key, text, "expected b{bits}g{group}, e.g. b2g128");
        int b = Integer.parseInt(m.group(1)), g = Integer.parseInt(m.group(2));
        if (b < 1 || b > 8) throw options.error(key, text, "bits " + b + " not in 1..8");
        if (g <= 0) throw options.error(key, text, "group " + g + " must be positive");
        return new KiviShape(b, g);
    }

    @Override
    public String toString() {
        return "b" + bits + "g" + group;
    }
}
