package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/** The tokens of a tag's body: names, numbers, string literals (with Python's escapes decoded) and operators. */
final class ExpressionLexer {
    enum Type { NAME, INT, FLOAT, STRING, OP, END }

    record Token(Type type, String text) {
        boolean is(String op) {
            return (type == Type.OP || type == Type.NAME) && text.equals(op);
        }
    }

    private static final List<String> OPERATORS = List.of("==", "!=", "<=", ">=", "//", "**",
            "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ".", ",", ":", "|", "=");

    private ExpressionLexer() {
    }

    static List<Token> lex(String source) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < source.length() && (Character.isLetterOrDigit(source.charAt(i)) || source.charAt(i) == '_')) i++;
                tokens.add(new Token(Type.NAME, source.substring(start, i)));
            } else if (Character.isDigit(c)) {
                int start = i;
                while (i < source.length() && (Character.isDigit(source.charAt(i)) || source.charAt(i) == '_')) i++;
                boolean fraction = i + 1 < source.length() && source.charAt(i) == '.' && Character.isDigit(source.charAt(i + 1));
                if (fraction) {
                    i++;
                    while (i < source.length() && Character.isDigit(source.charAt(i))) i++;
                }
                tokens.add(new Token(fraction ? Type.FLOAT : Type.INT, source.substring(start, i).replace("_", "")));
            } else if (c == '\'' || c == '"') {
                StringBuilder s = new StringBuilder();
                i = readString(source, i, s);
                tokens.add(new Token(Type.STRING, s.toString()));
            } else {
                String op = null;
                for (String candidate : OPERATORS) {
                    if (source.startsWith(candidate, i)) {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) throw new TemplateException("unexpected character '" + c + "' in: " + source);
                tokens.add(new Token(Type.OP, op));
                i += op.length();
            }
        }
        tokens.add(new Token(Type.END, ""));
        return tokens;
    }

    /** Reads the literal starting at the quote at {@code at} into {@code out}; returns the index after it. */
    private static int readString(String source, int at, StringBuilder out) {
        char quote = source.charAt(at);
        int i = at + 1;
        while (i < source.length()) {
            char c = source.charAt(i++);
            if (c == quote) return i;
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (i >= source.length()) break;
            char e = source.charAt(i++);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '0' -> out.append('\0');
                case '\\', '\'', '"' -> out.append(e);
                case 'u', 'x' -> {
                    int digits = e == 'u' ? 4 : 2;
                    out.append((char) Integer.parseInt(source.substring(i, i + digits), 16));
                    i += digits;
                }
                case '\n' -> { }
                default -> out.append('\\').append(e);
            }
        }
        throw new TemplateException("string literal not closed in: " + source);
    }
}
