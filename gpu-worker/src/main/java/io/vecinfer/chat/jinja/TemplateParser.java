package io.vecinfer.chat.jinja;

import io.vecinfer.chat.jinja.TemplateLexer.Kind;
import io.vecinfer.chat.jinja.TemplateLexer.Segment;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builds the statement tree from the lexer's segments: text, output, if/elif/else, for/else, set. */
final class TemplateParser {
    private final List<Segment> segments;
    private int at;

    private TemplateParser(List<Segment> segments) {
        this.segments = segments;
    }

    static List<Node> parse(String template) {
        TemplateParser p = new TemplateParser(TemplateLexer.lex(template));
        List<Node> body = new ArrayList<>();
        String end = p.block(body, Set.of());
        if (end != null) throw new TemplateException("unexpected {% " + end + " %}");
        return body;
    }

    /** Parses nodes into {@code body} until a statement named in {@code ends}; returns that statement's source (null at the end). */
    private String block(List<Node> body, Set<String> ends) {
        while (at < segments.size()) {
            Segment s = segments.get(at++);
            if (s.kind() == Kind.TEXT) {
                body.add(new Node.Text(s.source()));
                continue;
            }
            ExpressionParser p = new ExpressionParser(s.source());
            if (s.kind() == Kind.OUTPUT) {
                Expr value = p.expression();
                p.expectEnd();
                body.add(new Node.Output(value));
                continue;
            }
            String keyword = p.atEnd() ? "" : p.peek().text();
            if (ends.contains(keyword)) {
                at--;
                return keyword;
            }
            p.next();
            switch (keyword) {
                case "if" -> body.add(ifStatement(p, s));
                case "for" -> body.add(forStatement(p, s));
                case "set" -> body.add(setStatement(p));
                default -> throw new TemplateException("line " + s.line() + ": unsupported statement {% " + s.source() + " %}");
            }
        }
        if (!ends.isEmpty()) throw new TemplateException("template ended before one of {% " + String.join(" / ", ends) + " %}");
        return null;
    }

    private Node ifStatement(ExpressionParser p, Segment s) {
        List<Node.Branch> branches = new ArrayList<>();
        Expr condition = p.expression();
        p.expectEnd();
        while (true) {
            List<Node> body = new ArrayList<>();
            String end = block(body, Set.of("elif", "else", "endif"));
            branches.add(new Node.Branch(condition, body));
            ExpressionParser closing = new ExpressionParser(segments.get(at++).source());
            closing.next();
            if (end.equals("endif")) break;
            if (end.equals("else")) {
                List<Node> otherwise = new ArrayList<>();
                block(otherwise, Set.of("endif"));
                at++;
                branches.add(new Node.Branch(null, otherwise));
                break;
            }
            condition = closing.expression();
            closing.expectEnd();
        }
        return new Node.If(branches);
    }

    private Node forStatement(ExpressionParser p, Segment s) {
        List<String> targets = new ArrayList<>(List.of(p.name()));
        while (p.accept(",")) targets.add(p.name());
        p.expect("in");
        Expr items = p.or();
        Expr filter = p.accept("if") ? p.or() : null;
        if (p.accept("recursive")) throw new TemplateException("line " + s.line() + ": recursive loops are not supported");
        p.expectEnd();
        List<Node> body = new ArrayList<>(), otherwise = new ArrayList<>();
        String end = block(body, Set.of("else", "endfor"));
        at++;
        if (end.equals("else")) {
            block(otherwise, Set.of("endfor"));
            at++;
        }
        return new Node.For(targets, items, filter, body, otherwise);
    }

    private Node setStatement(ExpressionParser p) {
        String name = p.name();
        String attribute = p.accept(".") ? p.name() : null;
        p.expect("=");
        Expr value = p.expression();
        p.expectEnd();
        return new Node.Set(name, attribute, value);
    }
}
