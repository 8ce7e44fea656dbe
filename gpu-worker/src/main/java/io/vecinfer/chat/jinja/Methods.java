package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Python str and dict methods templates call ({@code content.strip()}, {@code tool.items()}), bound to their object. */
final class Methods {
    private Methods() {
    }

    /** The bound method, or null when a string has no method of that name here. */
    static Callable ofString(String s, String name) {
        return switch (name) {
            case "strip" -> (args, kw) -> Values.strip(s, chars(args), true, true);
            case "lstrip" -> (args, kw) -> Values.strip(s, chars(args), true, false);
            case "rstrip" -> (args, kw) -> Values.strip(s, chars(args), false, true);
            case "startswith" -> (args, kw) -> anyOf(args, p -> s.startsWith(p));
            case "endswith" -> (args, kw) -> anyOf(args, p -> s.endsWith(p));
            case "split" -> (args, kw) -> split(s, args.isEmpty() ? null : (String) args.get(0),
                    args.size() > 1 ? Values.toLong(args.get(1)) : -1);
            case "upper" -> (args, kw) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (args, kw) -> s.toLowerCase(Locale.ROOT);
            case "replace" -> (args, kw) -> replace(s, (String) args.get(0), (String) args.get(1), args.size() > 2 ? Values.toLong(args.get(2)) : -1);
            case "find" -> (args, kw) -> (long) s.indexOf((String) args.get(0));
            default -> null;
        };
    }

    /** The bound method, or null when a dict has no method of that name here (then {@code d.name} is its item). */
    static Callable ofDict(Map<?, ?> m, String name) {
        return switch (name) {
            case "items" -> (args, kw) -> items(m);
            case "keys" -> (args, kw) -> new ArrayList<Object>(m.keySet());
            case "values" -> (args, kw) -> new ArrayList<Object>(m.values());
            case "get" -> (args, kw) -> m.containsKey(args.get(0)) ? m.get(args.get(0)) : args.size() > 1 ? args.get(1) : null;
            default -> null;
        };
    }

    /** A dict's (key, value) pairs, each a two-item list (a tuple here), in insertion order. */
    static List<Object> items(Map<?, ?> m) {
        List<Object> out = new ArrayList<>();
        m.forEach((k, v) -> {
            List<Object> pair = new ArrayList<>(2);
            pair.add(k);
            pair.add(v);
            out.add(pair);
        });
        return out;
    }

    private static String chars(List<Object> args) {
        return args.isEmpty() || args.get(0) == null ? null : (String) args.get(0);
    }

    private static boolean anyOf(List<Object> args, java.util.function.Predicate<String> match) {
        Object arg = args.get(0);
        if (arg instanceof List<?> options) {
            for (Object o : options) if (match.test((String) o)) return true;
            return false;
        }
        return match.test((String) arg);
    }

    /** Python's str.split: by runs of whitespace when sep is None (dropping empty ends), else by sep exactly. */
    static List<Object> split(String s, String sep, long maxSplit) {
        List<Object> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && Values.isSpace(s.charAt(i))) i++;
                if (i >= n) return parts;
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(Values.strip(s.substring(i), null, false, true));
                    return parts;
                }
                int start = i;
                while (i < n && !Values.isSpace(s.charAt(i))) i++;
                parts.add(s.substring(start, i));
            }
        }
        if (sep.isEmpty()) throw new TemplateException("empty separator");
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit); at = s.indexOf(sep, from)) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String replace(String s, String old, String replacement, long count) {
        if (count < 0) return s.replace(old, replacement);
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (long done = 0; done < count; done++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            out.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }
}
