package io.vecinfer.chat.jinja;

import java.util.HashMap;
import java.util.Map;

/**
 * Variables as Jinja2 scopes them: the render context at the bottom, the template's top level above it,
 * and a fresh scope for each iteration of a for loop, so that a {@code set} inside a loop is gone after
 * it (the reason templates use {@code namespace}). {@code if} blocks share their enclosing scope.
 */
final class Scope {
    private final Map<String, Object> variables = new HashMap<>();
    private final Scope parent;

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object get(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.variables.containsKey(name)) return s.variables.get(name);
        }
        return Undefined.INSTANCE;
    }

    void set(String name, Object value) {
        variables.put(name, value);
    }
}
