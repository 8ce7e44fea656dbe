package io.vecinfer.chat.jinja;

/**
 * A template that cannot be parsed, uses what this engine does not implement, or fails while rendering;
 * {@link #raised()} tells a template's own {@code raise_exception(...)} apart from an engine error.
 */
public final class TemplateException extends RuntimeException {
    private final boolean raised;

    TemplateException(String message) {
        this(message, false);
    }

    TemplateException(String message, boolean raised) {
        super(message);
        this.raised = raised;
    }

    /** True when the template itself called {@code raise_exception}: the conversation is one it refuses. */
    public boolean raised() {
        return raised;
    }
}
