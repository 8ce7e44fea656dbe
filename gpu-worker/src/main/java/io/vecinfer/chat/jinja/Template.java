package io.vecinfer.chat.jinja;

import java.util.List;
import java.util.Map;

/**
 * A Jinja template in the subset that Hugging Face chat templates use, rendered as transformers renders
 * them (trim_blocks and lstrip_blocks on, no autoescaping). Statements: if/elif/else, for (with tuple
 * targets, an {@code if} filter, else and {@code loop.*}) and set (also of a namespace's attribute).
 * Expressions: Python's literals, operators, slicing, str and dict methods, and the filters and tests in
 * {@link Builtins}. Globals: {@code namespace}, {@code raise_exception} and {@code range}, plus what the
 * caller passes. What is outside the subset fails with a {@link TemplateException} naming it.
 */
public final class Template {
    private final List<Node> body;

    private Template(List<Node> body) {
        this.body = body;
    }

    public static Template parse(String source) {
        return new Template(TemplateParser.parse(source));
    }

    /**
     * Renders with {@code variables} (strings, numbers, booleans, null, lists and string-keyed maps of
     * those); a value that is a {@code java.util.function.Function<String, String>} is callable with one string.
     */
    public String render(Map<String, ?> variables) {
        Scope globals = new Scope(null);
        globals.set("namespace", (Callable) (args, kwargs) -> {
            Namespace ns = new Namespace();
            for (Object a : args) if (a instanceof Map<?, ?> m) m.forEach((k, v) -> ns.attributes.put(String.valueOf(k), v));
            ns.attributes.putAll(kwargs);
            return ns;
        });
        globals.set("raise_exception", (Callable) (args, kwargs) -> {
            throw new TemplateException(args.isEmpty() ? "raise_exception" : Values.str(args.get(0)), true);
        });
        globals.set("range", (Callable) (args, kwargs) -> range(args));
        Scope context = new Scope(globals);
        variables.forEach((name, value) -> context.set(name, adapt(value)));
        StringBuilder out = new StringBuilder();
        Node.renderAll(body, new Scope(context), out);
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static Object adapt(Object value) {
        if (value instanceof Integer i) return (long) i;
        if (value instanceof Float f) return (double) f;
        if (value instanceof java.util.function.Function<?, ?> f) {
            return (Callable) (args, kwargs) -> ((java.util.function.Function<String, String>) f).apply(Values.str(args.get(0)));
        }
        if (value instanceof List<?> l) return l.stream().map(Template::adapt).collect(java.util.stream.Collectors.toCollection(java.util.ArrayList::new));
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), adapt(v)));
            return out;
        }
        return value;
    }

    private static List<Object> range(List<Object> args) {
        long start = args.size() > 1 ? Values.toLong(args.get(0)) : 0;
        long stop = Values.toLong(args.get(args.size() > 1 ? 1 : 0));
        long step = args.size() > 2 ? Values.toLong(args.get(2)) : 1;
        if (step == 0) throw new TemplateException("range() step must not be zero");
        List<Object> out = new java.util.ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }
}
