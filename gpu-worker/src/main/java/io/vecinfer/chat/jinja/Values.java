package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's semantics on the values a template sees: strings, longs, doubles, booleans, null (None),
 * lists, string-keyed maps, {@link Undefined} and {@link Namespace}. Truth, str(), ==, ordering, len,
 * iteration and indexing follow Python, because the templates are written against it.
 */
final class Values {
    private Values() {
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Long l) return l != 0;
        if (v instanceof Double d) return d != 0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    /** Python's str(), as {{ value }} prints it. */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Undefined) return "";
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Long l) return Long.toString(l);
        if (v instanceof Double d) {
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16) return String.format("%.1f", d);
            return Double.toString(d);
        }
        if (v instanceof String s) return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
        if (v instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            for (Object o : l) parts.add(repr(o));
            return "[" + String.join(", ", parts) + "]";
        }
        if (v instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, x) -> parts.add(repr(k) + ": " + repr(x)));
            return "{" + String.join(", ", parts) + "}";
        }
        if (v instanceof Undefined) return "Undefined";
        return v.toString();
    }

    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof String) return "str";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof List<?>) return "list";
        if (v instanceof Map<?, ?>) return "dict";
        if (v instanceof Undefined) return "Undefined";
        return v.getClass().getSimpleName();
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof Long l) return l;
        throw new TemplateException("expected an integer, got " + typeName(v) + " " + repr(v));
    }

    static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    /** Python's ==: numbers by value (True == 1), lists and maps element by element. */
    static boolean equal(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) return a == b;
        if (isNumber(a) && isNumber(b)) return toDouble(a) == toDouble(b);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (var e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        return a == null ? b == null : a.equals(b);
    }

    static int compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) return Double.compare(toDouble(a), toDouble(b));
        if (a instanceof String x && b instanceof String y) return x.compareTo(y);
        throw new TemplateException("'<' not supported between " + typeName(a) + " and " + typeName(b));
    }

    static int length(Object v) {
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof List<?> l) return l.size();
        if (v instanceof Map<?, ?> m) return m.size();
        if (v instanceof Undefined) return 0;
        throw new TemplateException("object of type " + typeName(v) + " has no len()");
    }

    /** The items a for loop visits: a list's elements, a map's keys, a string's characters; Undefined is empty. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) return new ArrayList<>(l);
        if (v instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
        if (v instanceof String s) {
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
            return chars;
        }
        if (v instanceof Undefined) return new ArrayList<>();
        throw new TemplateException(typeName(v) + " object is not iterable");
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            if (!(item instanceof String sub)) throw new TemplateException("'in <string>' requires string as left operand, not " + typeName(item));
            return s.contains(sub);
        }
        if (container instanceof Map<?, ?> m) return m.containsKey(item);
        for (Object o : iterate(container)) if (equal(o, item)) return true;
        return false;
    }

    /** Python's whitespace, which str.strip() removes (wider than Java's Character.isWhitespace). */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0, end = s.length();
        if (left) while (start < end && stripped(s.charAt(start), chars)) start++;
        if (right) while (end > start && stripped(s.charAt(end - 1), chars)) end--;
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }
}
