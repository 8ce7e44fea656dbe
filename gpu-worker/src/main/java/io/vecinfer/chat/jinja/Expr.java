package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An expression of the template, evaluated against a scope. */
interface Expr {
    Object eval(Scope scope);

    record Literal(Object value) implements Expr {
        public Object eval(Scope scope) {
            return value;
        }
    }

    record Name(String name) implements Expr {
        public Object eval(Scope scope) {
            return scope.get(name);
        }
    }

    record ListOf(List<Expr> items) implements Expr {
        public Object eval(Scope scope) {
            List<Object> out = new ArrayList<>();
            for (Expr e : items) out.add(e.eval(scope));
            return out;
        }
    }

    record DictOf(List<Expr> keys, List<Expr> values) implements Expr {
        public Object eval(Scope scope) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) out.put(Values.str(keys.get(i).eval(scope)), values.get(i).eval(scope));
            return out;
        }
    }

    record Attribute(Expr target, String name) implements Expr {
        public Object eval(Scope scope) {
            return Builtins.attribute(target.eval(scope), name);
        }
    }

    record Item(Expr target, Expr key) implements Expr {
        public Object eval(Scope scope) {
            return Builtins.item(target.eval(scope), key.eval(scope));
        }
    }

    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {
        public Object eval(Scope scope) {
            return Builtins.slice(target.eval(scope), eval(start, scope), eval(stop, scope), eval(step, scope));
        }

        private static Object eval(Expr e, Scope scope) {
            return e == null ? null : e.eval(scope);
        }
    }

    record Call(Expr function, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
        public Object eval(Scope scope) {
            Object f = function.eval(scope);
            if (!(f instanceof Callable c)) throw new TemplateException(describe(function) + " is not callable");
            return c.call(evalAll(args, scope), evalAll(kwargs, scope));
        }
    }

    /** {@code value | name(args)}: the value is the filter's first argument. */
    record Filter(Expr value, String name, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
        public Object eval(Scope scope) {
            return Builtins.filter(name, value.eval(scope), evalAll(args, scope), evalAll(kwargs, scope));
        }
    }

    record Test(Expr value, String name, List<Expr> args, boolean negated) implements Expr {
        public Object eval(Scope scope) {
            return negated != Builtins.test(name, value.eval(scope), evalAll(args, scope));
        }
    }

    record Not(Expr operand) implements Expr {
        public Object eval(Scope scope) {
            return !Values.truthy(operand.eval(scope));
        }
    }

    record Negate(Expr operand) implements Expr {
        public Object eval(Scope scope) {
            return Builtins.binary("-", 0L, operand.eval(scope));
        }
    }

    /** {@code and} and {@code or} give one of their operands, as in Python, evaluating the right one only when needed. */
    record Logical(boolean and, Expr left, Expr right) implements Expr {
        public Object eval(Scope scope) {
            Object l = left.eval(scope);
            return Values.truthy(l) == and ? right.eval(scope) : l;
        }
    }

    record Binary(String op, Expr left, Expr right) implements Expr {
        public Object eval(Scope scope) {
            return Builtins.binary(op, left.eval(scope), right.eval(scope));
        }
    }

    record Comparison(Expr first, List<String> ops, List<Expr> operands) implements Expr {
        public Object eval(Scope scope) {
            Object left = first.eval(scope);
            for (int i = 0; i < ops.size(); i++) {
                Object right = operands.get(i).eval(scope);
                String op = ops.get(i);
                boolean holds = op.equals("not in") ? !Values.contains(right, left) : (Boolean) Builtins.binary(op, left, right);
                if (!holds) return false;
                left = right;
            }
            return true;
        }
    }

    record Conditional(Expr condition, Expr then, Expr otherwise) implements Expr {
        public Object eval(Scope scope) {
            if (Values.truthy(condition.eval(scope))) return then.eval(scope);
            return otherwise == null ? Undefined.INSTANCE : otherwise.eval(scope);
        }
    }

    static List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>();
        for (Expr e : exprs) out.add(e.eval(scope));
        return out;
    }

    static Map<String, Object> evalAll(Map<String, Expr> exprs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        exprs.forEach((k, e) -> out.put(k, e.eval(scope)));
        return out;
    }

    static String describe(Expr e) {
        if (e instanceof Name n) return "'" + n.name() + "'";
        if (e instanceof Attribute a) return describe(a.target()) + "." + a.name();
        return "the expression";
    }
}
