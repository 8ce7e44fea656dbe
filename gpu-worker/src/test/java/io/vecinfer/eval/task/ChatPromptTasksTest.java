package io.vecinfer.eval.task;

import io.vecinfer.chat.ChatMessage;
import io.vecinfer.chat.ChatTemplate;
import io.vecinfer.dataset.JsonLines;
import io.vecinfer.eval.data.LongBenchRecord;
import io.vecinfer.eval.metrics.LongBenchTask;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generation tasks with {@code inputs.chat = "template"}: the shipped model's config and tokenizer in a
 * checkpoint folder whose tokenizer_config.json carries a real chat template (Llama 3.1's, which writes
 * BOS, or Qwen3's, which writes none), against the same task without the option.
 */
class ChatPromptTasksTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");
    private static final Path TEMPLATES = RepoPaths.fixtures().resolve("chat-templates");
    private static Tokenizer tokenizer;
    private static int bos;

    @TempDir
    static Path dir;
    private static Path llama, qwen3;

    @BeforeAll
    static void checkpoints() throws Exception {
        tokenizer = Tokenizer.load(RepoPaths.referenceModel().resolve("tokenizer.json"));
        bos = tokenizer.tokenId("<|begin_of_text|>").orElseThrow();
        llama = checkpoint("llama", "llama-3.1-instruct");
        qwen3 = checkpoint("qwen3", "qwen3");
    }

    /** The reference model's config and tokenizer beside a fixture's tokenizer_config.json (no weights: samples never load them). */
    private static Path checkpoint(String name, String template) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        for (String f : List.of("config.json", "tokenizer.json")) Files.copy(RepoPaths.referenceModel().resolve(f), folder.resolve(f));
        Files.copy(TEMPLATES.resolve(template).resolve(ChatTemplate.CONFIG_FILE), folder.resolve(ChatTemplate.CONFIG_FILE));
        return folder;
    }

    private static List<TaskSample> samples(Path model, String task, int context, Map<String, String> inputs) {
        return new DatasetSampleCatalog(DATASETS).samples(new Cell(model.toString(), "fp16", null, task, context, 2, 0, Prefill.EXACT, inputs));
    }

    private static Map<String, String> with(Map<String, String> inputs, String chat) {
        Map<String, String> out = new HashMap<>(inputs);
        out.put(ChatPrompts.INPUT, chat);
        return out;
    }

    private static int[] rendered(Path model, String userText) {
        ChatTemplate template = ChatTemplate.read(model.resolve(ChatTemplate.CONFIG_FILE)).orElseThrow();
        return tokenizer.encode(template.render(List.of(ChatMessage.user(userText)), ChatPrompts.TODAY, Map.of()));
    }

    private static long count(int[] ids, int id) {
        return Arrays.stream(ids).filter(x -> x == id).count();
    }

    @Test
    void longBenchPromptIsTheWholeTemplatedPromptAsTheUserTurnWithOneBos() throws Exception {
        Path file = DATASETS.resolve("fixtures/longbench/hotpotqa.jsonl");
        Map<String, String> inputs = Map.of("file", file.toString());
        TaskSample chat = samples(llama, "longbench", 0, with(inputs, "template")).get(0);
        LongBenchRecord record = JsonLines.read(file, LongBenchRecord::parse).get(0);
        int[] expected = rendered(llama, LongBenchPrompts.prompt(LongBenchTask.HOTPOTQA, record));
        assertArrayEquals(expected, chat.prompt());
        assertEquals(bos, chat.prompt()[0]);
        assertEquals(1, count(chat.prompt(), bos), "the template's BOS only, no second one");
        // Without the option (or with chat=none) the prompt is raw, as before.
        TaskSample raw = samples(llama, "longbench", 0, inputs).get(0);
        assertArrayEquals(raw.prompt(), samples(llama, "longbench", 0, with(inputs, "none")).get(0).prompt());
        assertTrue(chat.prompt().length > raw.prompt().length);
        assertEquals(chat.id(), raw.id());
    }

    @Test
    void longBenchLeavesTheSubTasksPredPyNeverWrapsRaw() {
        Map<String, String> inputs = Map.of("file", DATASETS.resolve("fixtures/longbench/trec.jsonl").toString());
        assertArrayEquals(samples(llama, "longbench", 0, inputs).get(0).prompt(),
                samples(llama, "longbench", 0, with(inputs, "template")).get(0).prompt());
    }

    @Test
    void aTruncatedChatPromptFitsTheBudgetInsideTheTemplate() {
        Map<String, String> inputs = with(Map.of("file", DATASETS.resolve("fixtures/longbench/hotpotqa.jsonl").toString()), "template");
        int budget = 300; // the shipped tokenizer spells Llama's header tokens out, so the template alone takes 123
        int[] prompt = samples(llama, "longbench", budget, inputs).get(0).prompt();
        assertTrue(prompt.length <= budget && prompt.length >= budget - 4, "length " + prompt.length);
        int[] empty = rendered(llama, "");
        int[] head = Arrays.copyOf(empty, 8), tail = Arrays.copyOfRange(empty, empty.length - 8, empty.length);
        assertArrayEquals(head, Arrays.copyOf(prompt, 8), "starts with the template's system turn");
        assertArrayEquals(tail, Arrays.copyOfRange(prompt, prompt.length - 8, prompt.length), "ends with the assistant header");
    }

    @Test
    void gsm8kOnATemplateWithoutBosGetsNoBos() {
        Map<String, String> inputs = Map.of("file", DATASETS.resolve("fixtures/gsm8k/test.jsonl").toString(),
                "trainFile", DATASETS.resolve("fixtures/gsm8k/train.jsonl").toString(), "shots", "1");
        TaskSample raw = samples(qwen3, "gsm8k", 0, inputs).get(0);
        TaskSample chat = samples(qwen3, "gsm8k", 0, with(inputs, "template")).get(0);
        String text = tokenizer.decode(Arrays.copyOfRange(raw.prompt(), 1, raw.prompt().length));
        assertArrayEquals(rendered(qwen3, text), chat.prompt());
        assertEquals(0, count(chat.prompt(), bos));
        assertTrue(tokenizer.decode(chat.prompt()).startsWith("<|im_start|>user\nQuestion: "), tokenizer.decode(chat.prompt()));
        assertTrue(tokenizer.decode(chat.prompt()).endsWith("\nAnswer:<|im_end|>\n<|im_start|>assistant\n"));
    }

    @Test
    void passkeyAndRulerPutTheirTokenPiecesBetweenTheTemplatesTurns() {
        int[] empty = rendered(llama, "");
        String marker = "<<x>>";
        String around = tokenizer.decode(rendered(llama, marker));
        int before = tokenizer.encode(around.substring(0, around.indexOf(marker))).length;
        for (String task : List.of("passkey", "ruler_niah_single")) {
            int context = task.equals("passkey") ? 512 : 256;
            TaskSample raw = samples(llama, task, context, Map.of()).get(0);
            TaskSample chat = samples(llama, task, context, Map.of(ChatPrompts.INPUT, "template")).get(0);
            assertEquals(raw.prompt().length - 1 + empty.length, chat.prompt().length, task);
            assertArrayEquals(Arrays.copyOfRange(raw.prompt(), 1, raw.prompt().length),
                    Arrays.copyOfRange(chat.prompt(), before, before + raw.prompt().length - 1), task + ": the pieces, unchanged");
            assertArrayEquals(Arrays.copyOf(empty, before), Arrays.copyOf(chat.prompt(), before), task);
            assertEquals(1, count(chat.prompt(), bos), task);
        }
    }

    @Test
    void askingForTheTemplateOfACheckpointWithoutOneFailsNamingItsConfigAndTheSweepField() {
        Map<String, String> inputs = Map.of("file", DATASETS.resolve("fixtures/longbench/hotpotqa.jsonl").toString(), "chat", "template");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> samples(RepoPaths.referenceModel(), "longbench", 0, inputs));
        assertTrue(e.getMessage().startsWith(RepoPaths.referenceModel().resolve("tokenizer_config.json") + ": no chat_template"), e.getMessage());
        assertTrue(e.getMessage().contains("inputs.chat = \"template\""), e.getMessage());
        IllegalArgumentException passkey = assertThrows(IllegalArgumentException.class,
                () -> samples(RepoPaths.referenceModel(), "passkey", 0, Map.of("chat", "template")));
        assertTrue(passkey.getMessage().contains("no chat_template"), passkey.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> samples(llama, "gsm8k", 0, Map.of("file", DATASETS.resolve("fixtures/gsm8k/test.jsonl").toString(), "chat", "yes")));
        assertEquals("gsm8k: inputs.chat: 'yes' is not one of: template, none", value.getMessage());
    }
}
