package io.vecinfer.spark;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A KV-cache method spec such as {@code vecinfer:k=d4b8,v=d4b8,r=128}: a family, then options.
 * Only the shape is checked here; what the options mean is the worker's business. The report columns
 * key config ({@code k}), value config ({@code v}) and residual window ({@code r}) come from here.
 */
public record MethodSpec(String family, Map<String, String> options) {

    public static MethodSpec parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty method spec");
        int colon = spec.indexOf(':');
        String family = (colon < 0 ? spec : spec.substring(0, colon)).trim();
        if (!KnownNames.METHOD_FAMILIES.contains(family)) {
            throw new IllegalArgumentException("unknown method family '" + family + "' in '" + spec
                    + "' (known: " + String.join(", ", KnownNames.METHOD_FAMILIES) + ")");
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String part : spec.substring(colon + 1).split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0 || eq == part.length() - 1) {
                    throw new IllegalArgumentException("malformed option '" + part + "' in '" + spec + "' (expected name=value)");
                }
                options.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        return new MethodSpec(family, options);
    }

    public String keyConfig() {
        return options.get("k");
    }

    public String valueConfig() {
        return options.get("v");
    }

    /** Residual window in tokens (recent tokens kept unquantized), or null when the spec has none. */
    public Integer residualWindow() {
        String r = options.get("r");
        if (r == null) return null;
        try {
            return Integer.valueOf(r);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
