package io.vecinfer.chat.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code namespace(...)} makes: the one mutable object a template has, so a loop can set a value its caller reads. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
