package io.vecinfer.chat.jinja;

import io.vecinfer.chat.jinja.ExpressionLexer.Token;
import io.vecinfer.chat.jinja.ExpressionLexer.Type;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Jinja2's expression grammar, by its precedence: conditional, or, and, not, comparisons (in, not in),
 * + -, ~, * / // %, **, unary minus, then primaries with their postfixes (.name, [key], [a:b:c], calls)
 * and filters and tests ({@code x | f(...)}, {@code x is [not] t(...)}), which bind tighter than arithmetic.
 */
final class ExpressionParser {
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private final List<Token> tokens;
    private final String source;
    private int at;

    ExpressionParser(String source) {
        this.source = source;
        this.tokens = ExpressionLexer.lex(source);
    }

    Token peek() {
        return tokens.get(at);
    }

    Token next() {
        return tokens.get(at++);
    }

    boolean accept(String op) {
        if (peek().is(op) && peek().type() != Type.STRING) {
            at++;
            return true;
        }
        return false;
    }

    void expect(String op) {
        if (!accept(op)) throw error("expected '" + op + "'");
    }

    String name() {
        Token t = next();
        if (t.type() != Type.NAME) throw error("expected a name, found '" + t.text() + "'");
        return t.text();
    }

    boolean atEnd() {
        return peek().type() == Type.END;
    }

    void expectEnd() {
        if (!atEnd()) throw error("unexpected '" + peek().text() + "'");
    }

    TemplateException error(String problem) {
        return new TemplateException(problem + " in: " + source);
    }

    /** A full expression, with the conditional form {@code a if b else c}. */
    Expr expression() {
        Expr value = or();
        if (accept("if")) {
            Expr condition = or();
            Expr otherwise = accept("else") ? expression() : null;
            return new Expr.Conditional(condition, value, otherwise);
        }
        return value;
    }

    /** An expression without the conditional form, as a for loop's iterable (its "if" filters the loop). */
    Expr or() {
        Expr left = and();
        while (accept("or")) left = new Expr.Logical(false, left, and());
        return left;
    }

    private Expr and() {
        Expr left = not();
        while (accept("and")) left = new Expr.Logical(true, left, not());
        return left;
    }

    private Expr not() {
        if (accept("not")) return new Expr.Not(not());
        return comparison();
    }

    /** Comparisons chain as in Python: {@code a < b <= c} is {@code a < b and b <= c}, b evaluated once. */
    private Expr comparison() {
        Expr first = sum();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OP && COMPARISONS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.is("in") && t.type() == Type.NAME) {
                next();
                ops.add("in");
            } else if (t.is("not") && tokens.get(at + 1).is("in")) {
                at += 2;
                ops.add("not in");
            } else {
                break;
            }
            operands.add(sum());
        }
        return ops.isEmpty() ? first : new Expr.Comparison(first, ops, operands);
    }

    private Expr sum() {
        Expr left = concat();
        while (peek().type() == Type.OP && (peek().is("+") || peek().is("-"))) left = new Expr.Binary(next().text(), left, concat());
        return left;
    }

    private Expr concat() {
        Expr left = product();
        while (accept("~")) left = new Expr.Binary("~", left, product());
        return left;
    }

    private Expr product() {
        Expr left = power();
        while (peek().type() == Type.OP && Set.of("*", "/", "//", "%").contains(peek().text())) {
            left = new Expr.Binary(next().text(), left, power());
        }
        return left;
    }

    private Expr power() {
        Expr left = unary();
        while (accept("**")) left = new Expr.Binary("**", left, unary());
        return left;
    }

    private Expr unary() {
        if (accept("-")) return filtersAndTests(postfix(new Expr.Negate(unary())));
        if (accept("+")) return unary();
        return filtersAndTests(postfix(primary()));
    }

    private Expr primary() {
        Token t = next();
        switch (t.type()) {
            case STRING -> {
                StringBuilder s = new StringBuilder(t.text());
                while (peek().type() == Type.STRING) s.append(next().text()); // adjacent literals join, as in Python
                return new Expr.Literal(s.toString());
            }
            case INT -> {
                return new Expr.Literal(Long.parseLong(t.text()));
            }
            case FLOAT -> {
                return new Expr.Literal(Double.parseDouble(t.text()));
            }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(Boolean.TRUE);
                    case "false", "False" -> new Expr.Literal(Boolean.FALSE);
                    case "none", "None" -> new Expr.Literal(null);
                    default -> new Expr.Name(t.text());
                };
            }
            case OP -> {
                if (t.is("(")) {
                    Expr first = expression();
                    if (accept(")")) return first;
                    List<Expr> items = new ArrayList<>(List.of(first));
                    while (accept(",")) {
                        if (peek().is(")")) break;
                        items.add(expression());
                    }
                    expect(")");
                    return new Expr.ListOf(items); // a tuple, which behaves as a list here
                }
                if (t.is("[")) {
                    List<Expr> items = new ArrayList<>();
                    while (!accept("]")) {
                        items.add(expression());
                        if (!accept(",")) {
                            expect("]");
                            break;
                        }
                    }
                    return new Expr.ListOf(items);
                }
                if (t.is("{")) {
                    List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                    while (!accept("}")) {
                        keys.add(expression());
                        expect(":");
                        values.add(expression());
                        if (!accept(",")) {
                            expect("}");
                            break;
                        }
                    }
                    return new Expr.DictOf(keys, values);
                }
            }
            default -> { }
        }
        at--;
        throw error("unexpected '" + t.text() + "'");
    }

    private Expr postfix(Expr target) {
        while (true) {
            if (peek().type() != Type.OP) return target;
            if (accept(".")) {
                target = new Expr.Attribute(target, name());
            } else if (accept("[")) {
                target = subscript(target);
            } else if (accept("(")) {
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> kwargs = new LinkedHashMap<>();
                arguments(args, kwargs);
                target = new Expr.Call(target, args, kwargs);
            } else {
                return target;
            }
        }
    }

    private Expr subscript(Expr target) {
        Expr start = peek().is(":") ? null : expression();
        if (accept("]")) return new Expr.Item(target, start);
        expect(":");
        Expr stop = peek().is(":") || peek().is("]") ? null : expression();
        Expr step = null;
        if (accept(":")) step = peek().is("]") ? null : expression();
        expect("]");
        return new Expr.Slice(target, start, stop, step);
    }

    /** The arguments after an opening parenthesis, through the closing one. */
    private void arguments(List<Expr> args, Map<String, Expr> kwargs) {
        while (!accept(")")) {
            if (peek().type() == Type.NAME && tokens.get(at + 1).is("=") && tokens.get(at + 1).type() == Type.OP) {
                String key = name();
                next();
                kwargs.put(key, expression());
            } else {
                args.add(expression());
            }
            if (!accept(",")) {
                expect(")");
                return;
            }
        }
    }

    private Expr filtersAndTests(Expr value) {
        while (true) {
            if (accept("|")) {
                String filter = name();
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> kwargs = new LinkedHashMap<>();
                if (accept("(")) arguments(args, kwargs);
                value = postfix(new Expr.Filter(value, filter, args, kwargs));
            } else if (peek().is("is") && peek().type() == Type.NAME) {
                next();
                boolean negated = accept("not");
                String test = name();
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> unused = new LinkedHashMap<>();
                if (accept("(")) arguments(args, unused);
                else if (peek().type() == Type.STRING || peek().type() == Type.INT) args.add(primary());
                value = new Expr.Test(value, test, args, negated);
            } else {
                return value;
            }
        }
    }
}
