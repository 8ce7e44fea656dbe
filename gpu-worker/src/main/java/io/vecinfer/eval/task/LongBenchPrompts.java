package io.vecinfer.eval.task;

import io.vecinfer.eval.data.LongBenchRecord;
import io.vecinfer.eval.metrics.LongBenchTask;
import io.vecinfer.tokenizer.Tokenizer;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * LongBench's prompt assembly (THUDM/LongBench: config/dataset2prompt.json, config/dataset2maxlen.json,
 * pred.py): each sub-task's template with {context} and {input} filled in, its maximum of new tokens,
 * and the truncation of an over-long prompt in the middle, keeping its first and last halves.
 */
final class LongBenchPrompts {
    private static final String MULTI_DOC_QA = "Answer the question based on the given passages. Only give me the answer and do not"
            + " output any other words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given"
            + " passages. Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:";
    private static final String QASPER_RULES = " as concisely as you can, using a single phrase or sentence if possible. If the"
            + " question cannot be answered based on the information in the article, write \"unanswerable\". If the question is a"
            + " yes/no question, answer \"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.";
    /** The sub-tasks pred.py never puts in a chat turn ("chat models are better off without build prompts on these tasks"). */
    private static final Set<LongBenchTask> NEVER_CHAT = EnumSet.of(LongBenchTask.TREC, LongBenchTask.TRIVIAQA, LongBenchTask.SAMSUM,
            LongBenchTask.LCC, LongBenchTask.REPOBENCH_P);
    private static final Map<LongBenchTask, String> TEMPLATES = new EnumMap<>(LongBenchTask.class);
    private static final Map<LongBenchTask, Integer> MAX_NEW_TOKENS = new EnumMap<>(LongBenchTask.class);

    static {
        add(LongBenchTask.NARRATIVEQA, 128, "You are given a story, which can be either a novel or a movie script, and a question."
                + " Answer the question as concisely as you can, using a single phrase if possible. Do not provide any explanation."
                + "\n\nStory: {context}\n\nNow, answer the question based on the story as concisely as you can, using a single"
                + " phrase if possible. Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:");
        add(LongBenchTask.QASPER, 128, "You are given a scientific article and a question. Answer the question" + QASPER_RULES
                + "\n\nArticle: {context}\n\n Answer the question based on the above article" + QASPER_RULES
                + "\n\nQuestion: {input}\n\nAnswer:");
        add(LongBenchTask.MULTIFIELDQA_EN, 64, "Read the following text and answer briefly.\n\n{context}\n\nNow, answer the"
                + " following question based on the above text, only give me the answer and do not output any other words."
                + "\n\nQuestion: {input}\nAnswer:");
        add(LongBenchTask.HOTPOTQA, 32, MULTI_DOC_QA);
        add(LongBenchTask.TWOWIKIMQA, 32, MULTI_DOC_QA);
        add(LongBenchTask.MUSIQUE, 32, MULTI_DOC_QA);
        add(LongBenchTask.GOV_REPORT, 512, "You are given a report by a government agency. Write a one-page summary of the report."
                + "\n\nReport:\n{context}\n\nNow, write a one-page summary of the report.\n\nSummary:");
        add(LongBenchTask.QMSUM, 512, "You are given a meeting transcript and a query containing a question or instruction."
                + " Answer the query in one or more sentences.\n\nTranscript:\n{context}\n\nNow, answer the query based on the"
                + " above meeting transcript in one or more sentences.\n\nQuery: {input}\nAnswer:");
        add(LongBenchTask.MULTI_NEWS, 512, "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n"
                + "{context}\n\nNow, write a one-page summary of all the news.\n\nSummary:");
        add(LongBenchTask.TREC, 64, "Please determine the type of the question below. Here are some examples of questions."
                + "\n\n{context}\n{input}");
        add(LongBenchTask.TRIVIAQA, 32, "Answer the question based on the given passage. Only give me the answer and do not output"
                + " any other words. The following are some examples.\n\n{context}\n\n{input}");
        add(LongBenchTask.SAMSUM, 128, "Summarize the dialogue into a few short sentences. The following are some examples."
                + "\n\n{context}\n\n{input}");
        add(LongBenchTask.PASSAGE_COUNT, 32, "There are some paragraphs below sourced from Wikipedia. Some of them may be"
                + " duplicates. Please carefully read these paragraphs and determine how many unique paragraphs there are after"
                + " removing duplicates. In other words, how many non-repeating paragraphs are there in total?\n\n{context}\n\n"
                + "Please enter the final count of unique paragraphs after removing duplicates. The output format should only"
                + " contain the number, such as 1, 2, 3, and so on.\n\nThe final answer is: ");
        add(LongBenchTask.PASSAGE_RETRIEVAL_EN, 32, "Here are 30 paragraphs from Wikipedia, along with an abstract. Please"
                + " determine which paragraph the abstract is from.\n\n{context}\n\nThe following is an abstract.\n\n{input}\n\n"
                + "Please enter the number of the paragraph that the abstract is from. The answer format must be like"
                + " \"Paragraph 1\", \"Paragraph 2\", etc.\n\nThe answer is: ");
        add(LongBenchTask.LCC, 64, "Please complete the code given below. \n{context}Next line of code:\n");
        add(LongBenchTask.REPOBENCH_P, 64, "Please complete the code given below. \n{context}{input}Next line of code:\n");
    }

    private LongBenchPrompts() {
    }

    private static void add(LongBenchTask task, int maxNewTokens, String template) {
        TEMPLATES.put(task, template);
        MAX_NEW_TOKENS.put(task, maxNewTokens);
    }

    static int maxNewTokens(LongBenchTask task) {
        return MAX_NEW_TOKENS.get(task);
    }

    /** The prompt text: Python's str.format of the template with the record's context and input. */
    static String prompt(LongBenchTask task, LongBenchRecord record) {
        // One pass, so that braces inside the context are never taken for a placeholder.
        String template = TEMPLATES.get(task);
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < template.length()) {
            if (template.startsWith("{context}", at)) {
                out.append(record.context());
                at += "{context}".length();
            } else if (template.startsWith("{input}", at)) {
                out.append(record.input());
                at += "{input}".length();
            } else {
                out.append(template.charAt(at++));
            }
        }
        return out.toString();
    }

    /**
     * The prompt's ids within {@code budget} tokens. Raw: BOS and the prompt's tokens cut in the middle to
     * budget - 1. Chat (except the sub-tasks pred.py leaves raw): the prompt cut in the middle to what the
     * template leaves of the budget, decoded, and rendered as the user turn, as pred.py's build_chat does
     * after its truncation; should the seam tokenize longer, the cut grows by the excess.
     */
    static int[] ids(LongBenchTask task, String prompt, ChatPrompts format, Tokenizer tokenizer, int budget) {
        int[] tokens = tokenizer.encode(prompt);
        if (!format.templated() || NEVER_CHAT.contains(task)) return format.raw(truncateMiddle(tokens, budget - 1));
        for (int cut = budget - format.overhead(); cut >= 2; ) {
            int[] kept = truncateMiddle(tokens, cut);
            int[] ids = format.ids(kept == tokens ? prompt : tokenizer.decode(kept));
            if (ids.length <= budget) return ids;
            cut -= ids.length - budget;
        }
        throw new IllegalArgumentException("a budget of " + budget + " tokens leaves no room for the prompt beside the chat template's "
                + format.overhead() + " tokens");
    }

    /**
     * pred.py's truncation: a prompt of more than {@code budget} tokens keeps its first and its last
     * budget / 2 (integer division) tokens. LongBench decodes the halves and tokenizes again; joining the
     * token halves is the same up to how the seam re-tokenizes, and keeps the length exact.
     */
    static int[] truncateMiddle(int[] tokens, int budget) {
        if (tokens.length <= budget) return tokens;
        int half = budget / 2;
        int[] kept = new int[2 * half];
        System.arraycopy(tokens, 0, kept, 0, half);
        System.arraycopy(tokens, tokens.length - half, kept, half, half);
        return kept;
    }
}
