package io.vecinfer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real chat templates of Llama 3.1/3.2 Instruct, Mistral-7B-Instruct-v0.3, Qwen2.5-Instruct and Qwen3
 * (fixtures/chat-templates) rendered on conversations.json, byte for byte against what Python's Jinja2
 * renders the transformers way (expected.json, written by make_expected.py there).
 */
class ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = RepoPaths.fixtures().resolve("chat-templates");
    /** make_expected.py pins strftime_now to this day. */
    private static final LocalDate PINNED_TODAY = LocalDate.of(2024, 9, 3);

    @TempDir
    Path dir;

    @TestFactory
    List<DynamicTest> rendersAsTransformersDoes() throws Exception {
        JsonNode conversations = JSON.readTree(FIXTURES.resolve("conversations.json").toFile());
        JsonNode expected = JSON.readTree(FIXTURES.resolve("expected.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        expected.fieldNames().forEachRemaining(model -> conversations.fieldNames().forEachRemaining(name -> tests.add(
                DynamicTest.dynamicTest(model + " / " + name, () -> check(model, conversations.get(name), expected.get(model).get(name))))));
        assertEquals(5 * 6, tests.size(), "every model on every conversation");
        return tests;
    }

    private static void check(String model, JsonNode conversation, JsonNode expected) {
        ChatTemplate template = ChatTemplate.read(FIXTURES.resolve(model).resolve(ChatTemplate.CONFIG_FILE)).orElseThrow();
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : conversation.get("messages")) messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        Map<String, Object> variables = new HashMap<>();
        conversation.path("context").fields().forEachRemaining(e ->
                variables.put(e.getKey(), e.getValue().isBoolean() ? e.getValue().asBoolean() : e.getValue().asText()));
        if (expected.has("error")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> template.render(messages, PINNED_TODAY, variables));
            assertTrue(e.getMessage().endsWith("refuses the conversation: " + expected.get("error").asText()), e.getMessage());
        } else {
            assertEquals(expected.get("text").asText(), template.render(messages, PINNED_TODAY, variables));
        }
    }

    @Test
    void specialTokensAreReadFromStringsOrAddedTokenObjects() throws Exception {
        Path config = write("""
                {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}"}
                """);
        ChatTemplate template = ChatTemplate.read(config).orElseThrow();
        assertEquals("<s>", template.bosToken().orElseThrow());
        assertEquals("<s>[user]hi</s>", template.render(List.of(ChatMessage.user("hi")), PINNED_TODAY, Map.of()));
    }

    @Test
    void theListFormTakesTheDefaultTemplate() throws Exception {
        Path config = write("""
                {"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "{{ messages[0].content }}!"}]}
                """);
        assertEquals("hi!", ChatTemplate.read(config).orElseThrow().render(List.of(ChatMessage.user("hi")), PINNED_TODAY, Map.of()));
        Path noDefault = write("{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.read(noDefault));
        assertTrue(e.getMessage().contains("no template named \"default\" (names: [rag])"), e.getMessage());
    }

    @Test
    void aConfigWithoutTemplateHasNone() throws Exception {
        assertFalse(ChatTemplate.read(RepoPaths.referenceModel().resolve(ChatTemplate.CONFIG_FILE)).isPresent());
        assertFalse(ChatTemplate.read(dir.resolve("absent.json")).isPresent());
    }

    @Test
    void aTemplateOutsideTheSubsetFailsAtReadNamingTheFile() throws Exception {
        Path config = write("{\"chat_template\": \"{% macro f() %}x{% endmacro %}\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.read(config));
        assertTrue(e.getMessage().startsWith(config + ": field chat_template: line 1: unsupported statement"), e.getMessage());
    }

    private Path write(String json) throws Exception {
        Path file = Files.createTempFile(dir, "tokenizer_config", ".json");
        Files.writeString(file, json);
        return file;
    }
}
