package io.vecinfer.quant;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code key=value,key=value} part of a method spec. Every error names the whole spec string and
 * the offending part, because a spec usually arrives from a results table or a command line far
 * away from where it is parsed.
 */
final class SpecOptions {
    private final String whole;
    private final Map<String, String> values;

    private SpecOptions(String whole, Map<String, String> values) {
        this.whole = whole;
        this.values = values;
    }

    static SpecOptions parse(String whole, String options, List<String> allowedKeys) {
        Map<String, String> values = new LinkedHashMap<>();
        if (options == null || options.isEmpty()) return new SpecOptions(whole, values);
        for (String item : options.split(",", -1)) {
            int eq = item.indexOf('=');
            if (eq <= 0 || eq == item.length() - 1) throw error(whole, "'" + item + "' is not key=value");
            String key = item.substring(0, eq), value = item.substring(eq + 1);
            if (!allowedKeys.contains(key)) {
                throw error(whole, "unknown key '" + key + "' (allowed: " + String.join(", ", allowedKeys) + ")");
            }
            if (values.putIfAbsent(key, value) != null) throw error(whole, "duplicate key '" + key + "'");
        }
        return new SpecOptions(whole, values);
    }

    static IllegalArgumentException error(String whole, String what) {
        return new IllegalArgumentException("bad KV-cache spec '" + whole + "': " + what);
    }

    IllegalArgumentException error(String key, String value, String why) {
        return error(whole, key + "=" + value + ": " + why);
    }

    String whole() {
        return whole;
    }

    String required(String key) {
        String v = values.get(key);
        if (v == null) throw error(whole, "missing key '" + key + "'");
        return v;
    }

    int positiveInt(String key, int fallback) {
        String v = values.get(key);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below with the same message as a non-positive number
        }
        throw error(key, v, "expected a positive integer");
    }

    boolean onOff(String key, boolean fallback) {
        String v = values.get(key);
        if (v == null) return fallback;
        return switch (v) {
            case "on" -> true;
            case "off" -> false;
            default -> throw error(key, v, "expected on or off");
        };
    }

    CodebookScope scope(String key, CodebookScope fallback) {
        String v = values.get(key);
        if (v == null) return fallback;
        for (CodebookScope s : CodebookScope.values()) if (s.label().equals(v)) return s;
        throw error(key, v, "expected global, layer, head or subspace");
    }
}
