package io.vecinfer.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/** A statement of the template, rendered into the output against a scope. */
interface Node {
    void render(Scope scope, StringBuilder out);

    static void renderAll(List<Node> body, Scope scope, StringBuilder out) {
        for (Node n : body) n.render(scope, out);
    }

    record Text(String text) implements Node {
        public void render(Scope scope, StringBuilder out) {
            out.append(text);
        }
    }

    record Output(Expr value) implements Node {
        public void render(Scope scope, StringBuilder out) {
            out.append(Values.str(value.eval(scope)));
        }
    }

    record Branch(Expr condition, List<Node> body) {
    }

    /** if / elif / else: the first branch whose condition holds; the else body has a null condition. */
    record If(List<Branch> branches) implements Node {
        public void render(Scope scope, StringBuilder out) {
            for (Branch b : branches) {
                if (b.condition() == null || Values.truthy(b.condition().eval(scope))) {
                    renderAll(b.body(), scope, out);
                    return;
                }
            }
        }
    }

    /** {@code for a[, b] in items [if filter]}, each iteration in its own scope with {@code loop}; else when nothing was visited. */
    record For(List<String> targets, Expr items, Expr filter, List<Node> body, List<Node> otherwise) implements Node {
        public void render(Scope scope, StringBuilder out) {
            List<Object> visited = new ArrayList<>();
            for (Object item : Values.iterate(items.eval(scope))) {
                if (filter == null || Values.truthy(filter.eval(bind(scope, item)))) visited.add(item);
            }
            for (int i = 0; i < visited.size(); i++) {
                Scope iteration = bind(scope, visited.get(i));
                iteration.set("loop", new LoopInfo(visited, i));
                renderAll(body, iteration, out);
            }
            if (visited.isEmpty()) renderAll(otherwise, scope, out);
        }

        private Scope bind(Scope scope, Object item) {
            Scope s = new Scope(scope);
            if (targets.size() == 1) {
                s.set(targets.get(0), item);
                return s;
            }
            List<Object> parts = Values.iterate(item);
            if (parts.size() != targets.size()) {
                throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets);
            }
            for (int i = 0; i < targets.size(); i++) s.set(targets.get(i), parts.get(i));
            return s;
        }
    }

    /** {@code set name = value}, or {@code set ns.attribute = value} on a namespace. */
    record Set(String name, String attribute, Expr value) implements Node {
        public void render(Scope scope, StringBuilder out) {
            Object v = value.eval(scope);
            if (attribute == null) {
                scope.set(name, v);
            } else if (scope.get(name) instanceof Namespace ns) {
                ns.attributes.put(attribute, v);
            } else {
                throw new TemplateException("cannot assign attribute on non-namespace object '" + name + "'");
            }
        }
    }
}
