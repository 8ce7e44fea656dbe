package io.vecinfer.chat.jinja;

import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as transformers defines it for chat templates: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=indent)}, so ", " and ": " separators without an
 * indent, "," and ": " with one, non-ASCII characters written as they are.
 */
final class Json {
    private Json() {
    }

    static String dumps(Object value, Object indent) {
        StringBuilder out = new StringBuilder();
        write(value, indent == null ? -1 : (int) Values.toLong(indent), 0, out);
        return out.toString();
    }

    private static void write(Object v, int indent, int depth, StringBuilder out) {
        if (v == null) out.append("null");
        else if (v instanceof Boolean b) out.append(b ? "true" : "false");
        else if (v instanceof Long || v instanceof Double) out.append(Values.repr(v));
        else if (v instanceof String s) string(s, out);
        else if (v instanceof List<?> l) container('[', ']', l.size(), indent, depth, out, (i, o) -> write(l.get(i), indent, depth + 1, o));
        else if (v instanceof Map<?, ?> m) {
            List<? extends Map.Entry<?, ?>> entries = List.copyOf(m.entrySet());
            container('{', '}', entries.size(), indent, depth, out, (i, o) -> {
                string(String.valueOf(entries.get(i).getKey()), o);
                o.append(": ");
                write(entries.get(i).getValue(), indent, depth + 1, o);
            });
        } else if (v instanceof Namespace ns) write(ns.attributes, indent, depth, out);
        else throw new TemplateException("Object of type " + Values.typeName(v) + " is not JSON serializable");
    }

    private interface Element {
        void write(int index, StringBuilder out);
    }

    private static void container(char open, char close, int size, int indent, int depth, StringBuilder out, Element element) {
        out.append(open);
        if (size == 0) {
            out.append(close);
            return;
        }
        for (int i = 0; i < size; i++) {
            if (indent >= 0) out.append(i == 0 ? "" : ",").append('\n').append(" ".repeat(indent * (depth + 1)));
            else if (i > 0) out.append(", ");
            element.write(i, out);
        }
        if (indent >= 0) out.append('\n').append(" ".repeat(indent * depth));
        out.append(close);
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }
}
