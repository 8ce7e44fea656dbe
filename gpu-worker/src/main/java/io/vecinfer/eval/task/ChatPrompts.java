package io.vecinfer.eval.task;

import io.vecinfer.chat.ChatMessage;
import io.vecinfer.chat.ChatTemplate;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * How a generation task turns its prompt into token ids. Raw, the default: BOS, then the prompt's tokens.
 * With the cell's {@code inputs.chat = "template"}: the checkpoint's chat template (tokenizer_config.json
 * {@code chat_template}) renders the prompt as the one user turn and opens the assistant's turn; that text
 * is tokenized as it is, so the BOS is the one the template writes (Llama, Mistral) or none (Qwen), never a
 * second one. The option is a task input, so it is part of the cell's identity and of its rows' task_inputs.
 */
final class ChatPrompts {
    static final String INPUT = "chat";
    static final String TEMPLATE = "template", NONE = "none";
    /**
     * The day {@code strftime_now} gives (Llama 3.2 prints it): fixed, so that a prompt never depends on
     * the day it runs; it is Llama 3.1's own default date_string.
     */
    static final LocalDate TODAY = LocalDate.of(2024, 7, 26);
    /** Stands for the user's text when the template's text around it is wanted; private-use characters, in no real prompt. */
    private static final String MARKER = "\uE000prompt\uE000";

    private final SampleSource source;
    private final ChatTemplate template;
    private final int bos;
    private final int[] before, after;

    private ChatPrompts(SampleSource source, ChatTemplate template) {
        this.source = source;
        this.template = template;
        this.bos = source.bosId();
        if (template == null) {
            before = new int[] {bos};
            after = new int[0];
            return;
        }
        String text = render(MARKER);
        int at = text.indexOf(MARKER);
        if (at < 0 || text.indexOf(MARKER, at + 1) >= 0) {
            throw new IllegalArgumentException(template.file() + ": the chat template does not write the user's message once, as it is");
        }
        before = source.tokenizer().encode(text.substring(0, at));
        after = source.tokenizer().encode(text.substring(at + MARKER.length()));
    }

    /**
     * The cell's prompt format. Asking for the template of a checkpoint whose tokenizer_config.json has
     * none fails here, when samples are listed, before any model is loaded.
     */
    static ChatPrompts of(SampleSource source, Cell cell) {
        String value = cell.inputs().getOrDefault(INPUT, NONE).strip();
        if (value.equals(NONE)) return new ChatPrompts(source, null);
        if (!value.equals(TEMPLATE)) {
            throw new IllegalArgumentException(cell.task() + ": inputs." + INPUT + ": '" + value + "' is not one of: " + TEMPLATE + ", " + NONE);
        }
        ChatTemplate template = source.chatTemplate().orElseThrow(() -> new IllegalArgumentException(source.tokenizerConfig()
                + ": no chat_template, but the sweep asks task " + cell.task() + " for one (inputs." + INPUT + " = \"" + TEMPLATE
                + "\"); drop that input to run " + source.modelName() + " on raw prompts"));
        return new ChatPrompts(source, template);
    }

    boolean templated() {
        return template != null;
    }

    /** The tokens the format adds around a prompt: BOS for raw prompts, the template's turns for chat. */
    int overhead() {
        return before.length + after.length;
    }

    /** A text prompt as ids: BOS and its tokens, or its chat render tokenized whole. */
    int[] ids(String prompt) {
        if (template == null) return concat(before, source.tokenizer().encode(prompt), after);
        return source.tokenizer().encode(render(prompt));
    }

    /** Tokens as a raw prompt, BOS first, whatever the format: for prompts a benchmark never wraps in a chat turn. */
    int[] raw(int[] tokens) {
        return concat(new int[] {bos}, tokens, new int[0]);
    }

    /**
     * A prompt assembled from token pieces (passkey, RULER), BOS first, in the chat format: the template's
     * tokens before and after the user's message around the pieces (which keep their exact count). The
     * template's edits of the message text (Llama's trim) do not reach token pieces.
     */
    int[] wrap(int[] rawPrompt) {
        if (template == null) return rawPrompt;
        return concat(before, java.util.Arrays.copyOfRange(rawPrompt, 1, rawPrompt.length), after);
    }

    private String render(String userText) {
        return template.render(List.of(ChatMessage.user(userText)), TODAY, Map.of());
    }

    private static int[] concat(int[] a, int[] b, int[] c) {
        int[] out = new int[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }
}
