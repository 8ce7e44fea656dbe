package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attribute and item access, operators, filters and tests, with Jinja2's and Python's meaning. Only what
 * chat templates use is here; anything else is refused by name rather than rendered differently.
 */
final class Builtins {
    private Builtins() {
    }

    /** {@code obj.name}: a method of a string or dict, else the dict's item; missing is Undefined (Jinja2's getattr). */
    static Object attribute(Object obj, String name) {
        if (obj instanceof Undefined) throw new TemplateException("cannot read attribute '" + name + "' of an undefined value");
        if (obj instanceof Namespace ns) return ns.attributes.getOrDefault(name, Undefined.INSTANCE);
        if (obj instanceof LoopInfo loop) return loop.get(name);
        if (obj instanceof String s && Methods.ofString(s, name) != null) return Methods.ofString(s, name);
        if (obj instanceof Map<?, ?> m) {
            Callable method = Methods.ofDict(m, name);
            if (method != null) return method;
            return m.containsKey(name) ? m.get(name) : Undefined.INSTANCE;
        }
        return Undefined.INSTANCE;
    }

    /** {@code obj[key]}: Python indexing (negative from the end); missing is Undefined (Jinja2's getitem). */
    static Object item(Object obj, Object key) {
        if (obj instanceof Undefined) throw new TemplateException("cannot index an undefined value with " + Values.repr(key));
        if (obj instanceof Map<?, ?> m) return m.containsKey(key) ? m.get(key) : Undefined.INSTANCE;
        if (obj instanceof Namespace || obj instanceof LoopInfo) return attribute(obj, Values.str(key));
        if ((obj instanceof List<?> || obj instanceof String) && Values.isIntegral(key)) {
            List<Object> items = Values.iterate(obj);
            long i = Values.toLong(key);
            if (i < 0) i += items.size();
            return i >= 0 && i < items.size() ? items.get((int) i) : Undefined.INSTANCE;
        }
        if (key instanceof String name) return attribute(obj, name);
        return Undefined.INSTANCE;
    }

    /** {@code obj[start:stop:step]} on a list or string, with Python's clamping and negative steps. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        if (!(obj instanceof List<?> || obj instanceof String)) throw new TemplateException("cannot slice " + Values.typeName(obj));
        List<Object> items = Values.iterate(obj);
        int n = items.size();
        long by = step == null ? 1 : Values.toLong(step);
        if (by == 0) throw new TemplateException("slice step cannot be zero");
        long from, to;
        if (by > 0) {
            from = bound(start, n, 0, 0, n);
            to = bound(stop, n, n, 0, n);
        } else {
            from = bound(start, n, n - 1, -1, n - 1);
            to = bound(stop, n, -1, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = from; by > 0 ? i < to : i > to; i += by) out.add(items.get((int) i));
        if (obj instanceof String) {
            StringBuilder s = new StringBuilder();
            out.forEach(c -> s.append((String) c));
            return s.toString();
        }
        return out;
    }

    private static long bound(Object index, int n, long absent, long low, long high) {
        if (index == null) return absent;
        long i = Values.toLong(index);
        if (i < 0) i += n;
        return Math.max(low, Math.min(high, i));
    }

    static Object binary(String op, Object a, Object b) {
        switch (op) {
            case "==":
                return Values.equal(a, b);
            case "!=":
                return !Values.equal(a, b);
            case "<":
                return Values.compare(a, b) < 0;
            case ">":
                return Values.compare(a, b) > 0;
            case "<=":
                return Values.compare(a, b) <= 0;
            case ">=":
                return Values.compare(a, b) >= 0;
            case "in":
                return Values.contains(b, a);
            case "~":
                return Values.str(a) + Values.str(b);
            default:
                break;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            throw new TemplateException("undefined value in '" + op + "' (" + Values.typeName(a) + " " + op + " " + Values.typeName(b) + ")");
        }
        if (op.equals("+")) {
            if (a instanceof String x && b instanceof String y) return x + y;
            if (a instanceof List<?> x && b instanceof List<?> y) {
                List<Object> out = new ArrayList<>(x);
                out.addAll(y);
                return out;
            }
        }
        if (op.equals("*") && a instanceof String s && Values.isIntegral(b)) return s.repeat((int) Math.max(0, Values.toLong(b)));
        if (!Values.isNumber(a) || !Values.isNumber(b)) {
            throw new TemplateException("unsupported operand types for " + op + ": " + Values.typeName(a) + " and " + Values.typeName(b));
        }
        boolean integral = Values.isIntegral(a) && Values.isIntegral(b);
        if (integral && !op.equals("/")) {
            long x = Values.toLong(a), y = Values.toLong(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "//" -> Math.floorDiv(x, nonZero(y));
                case "%" -> Math.floorMod(x, nonZero(y));
                case "**" -> (long) Math.pow(x, y);
                default -> throw new TemplateException("unknown operator " + op);
            };
        }
        double x = Values.toDouble(a), y = Values.toDouble(b);
        return switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "/" -> x / nonZero(y);
            case "//" -> Math.floor(x / nonZero(y));
            case "%" -> x - Math.floor(x / nonZero(y)) * y;
            case "**" -> Math.pow(x, y);
            default -> throw new TemplateException("unknown operator " + op);
        };
    }

    private static long nonZero(long y) {
        if (y == 0) throw new TemplateException("division by zero");
        return y;
    }

    private static double nonZero(double y) {
        if (y == 0) throw new TemplateException("division by zero");
        return y;
    }

    static Object filter(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        return switch (name) {
            case "trim" -> Values.strip(Values.str(value), args.isEmpty() ? null : (String) args.get(0), true, true);
            case "length", "count" -> (long) Values.length(value);
            case "string" -> Values.str(value);
            case "lower" -> Values.str(value).toLowerCase(java.util.Locale.ROOT);
            case "upper" -> Values.str(value).toUpperCase(java.util.Locale.ROOT);
            case "list" -> Values.iterate(value);
            case "first" -> Values.iterate(value).isEmpty() ? Undefined.INSTANCE : Values.iterate(value).get(0);
            case "last" -> {
                List<Object> items = Values.iterate(value);
                yield items.isEmpty() ? Undefined.INSTANCE : items.get(items.size() - 1);
            }
            case "join" -> {
                List<String> parts = new ArrayList<>();
                for (Object o : Values.iterate(value)) parts.add(Values.str(o));
                yield String.join(args.isEmpty() ? "" : Values.str(args.get(0)), parts);
            }
            case "items" -> value instanceof Map<?, ?> m ? Methods.items(m) : Values.iterate(value);
            case "default", "d" -> {
                boolean orFalsy = args.size() > 1 && Values.truthy(args.get(1)) || Values.truthy(kwargs.get("boolean"));
                boolean missing = value instanceof Undefined || orFalsy && !Values.truthy(value);
                yield missing ? (args.isEmpty() ? "" : args.get(0)) : value;
            }
            case "tojson" -> Json.dumps(value, kwargs.containsKey("indent") ? kwargs.get("indent") : args.isEmpty() ? null : args.get(0));
            case "select", "reject" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Values.iterate(value)) {
                    boolean pass = args.isEmpty() ? Values.truthy(o) : test(Values.str(args.get(0)), o, args.subList(1, args.size()));
                    if (pass == name.equals("select")) out.add(o);
                }
                yield out;
            }
            case "selectattr", "rejectattr" -> {
                if (args.isEmpty()) throw new TemplateException(name + " needs an attribute name");
                List<Object> out = new ArrayList<>();
                for (Object o : Values.iterate(value)) {
                    Object attr = attribute(o, Values.str(args.get(0)));
                    boolean pass = args.size() < 2 ? Values.truthy(attr) : test(Values.str(args.get(1)), attr, args.subList(2, args.size()));
                    if (pass == name.equals("selectattr")) out.add(o);
                }
                yield out;
            }
            case "safe" -> value;
            default -> throw new TemplateException("unsupported filter '" + name + "'");
        };
    }

    static boolean test(String name, Object value, List<Object> args) {
        return switch (name) {
            case "defined" -> !(value instanceof Undefined);
            case "undefined" -> value instanceof Undefined;
            case "none" -> value == null;
            case "string" -> value instanceof String;
            case "number" -> value instanceof Long || value instanceof Double;
            case "integer" -> value instanceof Long;
            case "float" -> value instanceof Double;
            case "boolean" -> value instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(value);
            case "false" -> Boolean.FALSE.equals(value);
            case "mapping" -> value instanceof Map<?, ?> || value instanceof Namespace;
            case "iterable" -> value instanceof List<?> || value instanceof Map<?, ?> || value instanceof String || value instanceof Undefined;
            case "sequence" -> value instanceof List<?> || value instanceof Map<?, ?> || value instanceof String;
            case "callable" -> value instanceof Callable;
            case "equalto", "eq", "==", "sameas" -> Values.equal(value, arg(name, args));
            case "ne", "!=" -> !Values.equal(value, arg(name, args));
            case "in" -> Values.contains(arg(name, args), value);
            case "odd" -> Math.floorMod(Values.toLong(value), 2) == 1;
            case "even" -> Math.floorMod(Values.toLong(value), 2) == 0;
            default -> throw new TemplateException("unsupported test '" + name + "'");
        };
    }

    private static Object arg(String test, List<Object> args) {
        if (args.isEmpty()) throw new TemplateException("test '" + test + "' needs an argument");
        return args.get(0);
    }
}
