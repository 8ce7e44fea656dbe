package io.vecinfer.chat.jinja;

/**
 * Jinja2's default Undefined: a missing variable, attribute or item. It is false, prints as nothing,
 * iterates as empty and has length 0; taking an attribute or item of it, or computing with it, is an error.
 */
final class Undefined {
    static final Undefined INSTANCE = new Undefined();

    private Undefined() {
    }

    @Override
    public String toString() {
        return "";
    }
}
