package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a template into text, {@code {{ output }}} and {@code {% statement %}} segments (comments are
 * dropped), applying the whitespace rules Hugging Face renders chat templates with: trim_blocks (the
 * newline right after a statement or comment goes), lstrip_blocks (spaces and tabs before a statement
 * or comment at the start of a line go), and the {@code -} markers that strip all whitespace on their side.
 */
final class TemplateLexer {
    enum Kind { TEXT, OUTPUT, STATEMENT }

    record Segment(Kind kind, String source, int line) {
    }

    private TemplateLexer() {
    }

    static List<Segment> lex(String template) {
        List<Segment> segments = new ArrayList<>();
        int pos = 0;
        boolean stripLeading = false, trimNewline = false, lineStart = true;
        while (true) {
            int tag = nextTag(template, pos);
            String text = template.substring(pos, tag < 0 ? template.length() : tag);
            if (stripLeading) text = Values.strip(text, null, true, false);
            else if (trimNewline && text.startsWith("\n")) text = text.substring(1);
            if (tag < 0) {
                add(segments, text, template, pos);
                return segments;
            }
            char kind = template.charAt(tag + 1);
            char marker = tag + 2 < template.length() ? template.charAt(tag + 2) : ' ';
            boolean block = kind == '%' || kind == '#';
            if (marker == '-') {
                text = Values.strip(text, null, false, true);
            } else if (block && marker != '+') {
                int lineAt = text.lastIndexOf('\n') + 1;
                boolean atLineStart = lineAt > 0 || lineStart || stripLeading && text.isEmpty();
                if (atLineStart && text.substring(lineAt).chars().allMatch(c -> c == ' ' || c == '\t')) text = text.substring(0, lineAt);
            }
            add(segments, text, template, pos);
            int bodyStart = tag + 2 + (marker == '-' || marker == '+' ? 1 : 0);
            int end = tagEnd(template, bodyStart, kind);
            boolean rightMinus = end > bodyStart && template.charAt(end - 1) == '-';
            String body = template.substring(bodyStart, rightMinus ? end - 1 : end);
            if (kind != '#') segments.add(new Segment(kind == '{' ? Kind.OUTPUT : Kind.STATEMENT, body.strip(), line(template, tag)));
            pos = end + 2;
            stripLeading = rightMinus;
            trimNewline = block;
            lineStart = block && pos < template.length() && template.charAt(pos) == '\n';
        }
    }

    private static void add(List<Segment> segments, String text, String template, int at) {
        if (!text.isEmpty()) segments.add(new Segment(Kind.TEXT, text, line(template, at)));
    }

    private static int nextTag(String template, int from) {
        for (int i = template.indexOf('{', from); i >= 0 && i + 1 < template.length(); i = template.indexOf('{', i + 1)) {
            char c = template.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** Where the tag's closing marker starts; quotes are skipped, since a string may hold "}}" or "%}". */
    private static int tagEnd(String template, int from, char kind) {
        String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
        if (kind == '#') {
            int end = template.indexOf(close, from);
            if (end < 0) throw new TemplateException("line " + line(template, from) + ": comment not closed");
            return end;
        }
        char quote = 0;
        for (int i = from; i < template.length(); i++) {
            char c = template.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (template.startsWith(close, i)) {
                return i;
            }
        }
        throw new TemplateException("line " + line(template, from) + ": tag not closed (expected " + close + ")");
    }

    static int line(String template, int at) {
        int line = 1;
        for (int i = 0; i < at && i < template.length(); i++) if (template.charAt(i) == '\n') line++;
        return line;
    }
}
