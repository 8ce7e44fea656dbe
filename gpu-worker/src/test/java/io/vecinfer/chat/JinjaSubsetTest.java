package io.vecinfer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.chat.jinja.Template;
import io.vecinfer.chat.jinja.TemplateException;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Jinja subset on its corners, against Python's Jinja2 (engine-expected.json, from make_expected.py). */
class JinjaSubsetTest {
    @TestFactory
    List<DynamicTest> rendersAsJinja2Does() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(RepoPaths.fixtures().resolve("chat-templates/engine-expected.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            String template = c.get("template").asText();
            tests.add(DynamicTest.dynamicTest(template, () -> assertEquals(c.get("text").asText(), Template.parse(template).render(Map.of()))));
        }
        assertFalse(tests.isEmpty());
        return tests;
    }

    @Test
    void raiseExceptionIsTheTemplatesOwnRefusal() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> Template.parse("{{ raise_exception('no ' ~ n) }}").render(Map.of("n", 3)));
        assertTrue(e.raised());
        assertEquals("no 3", e.getMessage());
    }

    @Test
    void computingWithAnUndefinedValueIsAnError() {
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("{{ 'a' + missing }}").render(Map.of()));
        assertFalse(e.raised());
        assertThrows(TemplateException.class, () -> Template.parse("{{ missing.attribute }}").render(Map.of()));
    }

    @Test
    void unsupportedFiltersAndUnclosedBlocksAreRefusedByName() {
        TemplateException filter = assertThrows(TemplateException.class, () -> Template.parse("{{ x | wordwrap }}").render(Map.of("x", "a")));
        assertTrue(filter.getMessage().contains("unsupported filter 'wordwrap'"), filter.getMessage());
        TemplateException open = assertThrows(TemplateException.class, () -> Template.parse("{% if x %}a"));
        assertTrue(open.getMessage().contains("endif"), open.getMessage());
    }
}
