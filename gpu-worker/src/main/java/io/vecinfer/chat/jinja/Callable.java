package io.vecinfer.chat.jinja;

import java.util.List;
import java.util.Map;

/** A global function or a bound method, called with positional and keyword arguments. */
@FunctionalInterface
interface Callable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
