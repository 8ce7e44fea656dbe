package io.vecinfer.chat.jinja;

import java.util.List;

/** The {@code loop} variable of a for loop's body: its position among the (filtered) items. */
final class LoopInfo {
    private final List<Object> items;
    private final int index0;

    LoopInfo(List<Object> items, int index0) {
        this.items = items;
        this.index0 = index0;
    }

    Object get(String name) {
        int n = items.size();
        return switch (name) {
            case "index0" -> (long) index0;
            case "index" -> (long) index0 + 1;
            case "revindex0" -> (long) (n - 1 - index0);
            case "revindex" -> (long) (n - index0);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.INSTANCE;
            case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : Undefined.INSTANCE;
            default -> throw new TemplateException("unsupported loop attribute 'loop." + name + "'");
        };
    }
}
