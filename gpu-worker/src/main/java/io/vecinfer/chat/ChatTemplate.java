package io.vecinfer.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.chat.jinja.Template;
import io.vecinfer.chat.jinja.TemplateException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A checkpoint's chat template, from the {@code chat_template} of its tokenizer_config.json (a string, or
 * a list of named templates of which "default" is taken) with its {@code bos_token} and {@code eos_token}
 * (strings or AddedToken objects), rendered as transformers' {@code apply_chat_template(messages,
 * add_generation_prompt=True)} renders it. The text it gives is tokenized as it is: a template that writes
 * the BOS token writes it as text, and the tokenizer makes it the BOS id (nothing is added around it).
 */
public final class ChatTemplate {
    public static final String CONFIG_FILE = "tokenizer_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Template template;
    private final String bosToken, eosToken;

    private ChatTemplate(Path file, Template template, String bosToken, String eosToken) {
        this.file = file;
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /**
     * The template of a tokenizer_config.json, or empty when the file or its {@code chat_template} is
     * absent; a malformed file or a template this engine cannot parse is an IllegalArgumentException naming the file.
     */
    public static Optional<ChatTemplate> read(Path tokenizerConfig) {
        if (!Files.isRegularFile(tokenizerConfig)) return Optional.empty();
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerConfig.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(tokenizerConfig + ": malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + tokenizerConfig, e);
        }
        JsonNode node = root == null ? null : root.get("chat_template");
        if (node == null || node.isNull()) return Optional.empty();
        String source = templateText(tokenizerConfig, node);
        try {
            return Optional.of(new ChatTemplate(tokenizerConfig, Template.parse(source),
                    token(tokenizerConfig, root, "bos_token"), token(tokenizerConfig, root, "eos_token")));
        } catch (TemplateException e) {
            throw new IllegalArgumentException(tokenizerConfig + ": field chat_template: " + e.getMessage(), e);
        }
    }

    private static String templateText(Path file, JsonNode node) {
        if (node.isTextual()) return node.asText();
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode named : node) {
                String name = named.path("name").asText();
                names.add(name);
                if (name.equals("default") && named.path("template").isTextual()) return named.get("template").asText();
            }
            throw new IllegalArgumentException(file + ": field chat_template: no template named \"default\" (names: " + names + ")");
        }
        throw new IllegalArgumentException(file + ": field chat_template: expected a string or a list of named templates, found "
                + node.getNodeType());
    }

    /** A special token as a string: written as one, or as an AddedToken object's content; null when absent. */
    private static String token(Path file, JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.get("content").asText();
        throw new IllegalArgumentException(file + ": field " + field + ": expected a string or an object with \"content\", found "
                + node.getNodeType());
    }

    /** The tokenizer_config.json the template came from. */
    public Path file() {
        return file;
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    /**
     * The prompt text for {@code messages} followed by the assistant's turn ({@code add_generation_prompt}).
     * {@code today} is what {@code strftime_now} formats (Llama 3.2 prints it); {@code variables} adds
     * template variables such as {@code date_string}. A conversation the template refuses through
     * {@code raise_exception} gives an IllegalArgumentException with the template's message.
     */
    public String render(List<ChatMessage> messages, LocalDate today, Map<String, ?> variables) {
        List<Map<String, Object>> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        // What transformers passes: the messages, tools and documents (None here), the flag, the special tokens it has.
        Map<String, Object> context = new HashMap<>();
        context.put("messages", turns);
        context.put("tools", null);
        context.put("documents", null);
        context.put("add_generation_prompt", true);
        if (bosToken != null) context.put("bos_token", bosToken);
        if (eosToken != null) context.put("eos_token", eosToken);
        context.put("strftime_now", (Function<String, String>) pattern -> Strftime.format(today, pattern));
        context.putAll(variables);
        try {
            return template.render(context);
        } catch (TemplateException e) {
            throw new IllegalArgumentException(file + ": chat_template " + (e.raised() ? "refuses the conversation: " : "failed: ")
                    + e.getMessage(), e);
        }
    }
}
