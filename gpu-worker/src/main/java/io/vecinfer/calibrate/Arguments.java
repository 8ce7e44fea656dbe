package io.vecinfer.calibrate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** --name value command-line flags; an unknown, repeated or malformed flag is refused by name. */
public final class Arguments {
    private final Map<String, String> values;

    private Arguments(Map<String, String> values) {
        this.values = values;
    }

    public static Arguments parse(String[] args, List<String> required, List<String> optional) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (!flag.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + flag + "'");
            String name = flag.substring(2);
            if (!required.contains(name) && !optional.contains(name)) {
                throw new IllegalArgumentException("unknown flag '" + flag + "' (flags: --" + String.join(", --", required)
                        + (optional.isEmpty() ? "" : ", --" + String.join(", --", optional)) + ")");
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException("flag '" + flag + "' needs a value");
            if (values.put(name, args[++i]) != null) throw new IllegalArgumentException("flag '" + flag + "' given twice");
        }
        for (String name : required) {
            if (!values.containsKey(name)) throw new IllegalArgumentException("missing required flag --" + name);
        }
        return new Arguments(values);
    }

    public String get(String name) {
        return values.get(name);
    }

    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public int integer(String name, int fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flag --" + name + ": '" + v + "' is not an integer");
        }
    }
}
