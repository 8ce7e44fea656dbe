package io.vecinfer.quant;

import io.vecinfer.kvcache.KvLayout;

/**
 * A KV-cache method with its parameters, parsed from and printed to one canonical string:
 * {@code fp16}, {@code fp32}, {@code vecinfer:k=d4b8,v=d4b8,r=128}, {@code rawvq:k=d4b8,v=d4b8,r=128},
 * {@code kivi:k=b2g128,v=b2g128,r=128}.
 *
 * <p>Canonical form: the method name, then k, v and r always, then only the options that differ from
 * the method's defaults, in a fixed order. So {@code parse(s).spec()} may differ from {@code s} (a
 * default spelled out is dropped), but {@code parse(parse(s).spec())} equals {@code parse(s)}: results
 * tables key on the canonical string.
 */
public sealed interface MethodSpec permits DenseSpec, VqSpec, KiviSpec {

    /** The canonical string. */
    String spec();

    /** Throws an IllegalArgumentException naming the spec and the bad field when this method cannot run on {@code layout}. */
    default void checkLayout(KvLayout layout) {
    }

    public static MethodSpec parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty KV-cache method spec");
        int colon = text.indexOf(':');
        String name = colon < 0 ? text : text.substring(0, colon);
        String options = colon < 0 ? null : text.substring(colon + 1);
        return switch (name) {
            case "fp16", "fp32" -> DenseSpec.parse(text, name, options);
            case "vecinfer" -> VqSpec.parse(text, VqSpec.Method.VECINFER, options);
            case "rawvq" -> VqSpec.parse(text, VqSpec.Method.RAWVQ, options);
            case "kivi" -> KiviSpec.parse(text, options);
            default -> throw new IllegalArgumentException("bad KV-cache spec '" + text + "': unknown method '" + name
                    + "' (known: fp16, fp32, vecinfer, rawvq, kivi)");
        };
    }
}
