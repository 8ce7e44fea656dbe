package io.vecinfer.eval.ruler;

import io.vecinfer.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds RULER-style samples from one public-domain text, deterministically: sample i of a task at a
 * length always draws from the same random stream (seeded by task, length and i, not by the cell), so
 * every method and every run sees the same prompts. Keys and list words are words of the text itself;
 * values are 7-digit numbers, as in RULER.
 *
 * <p>Prompts are assembled from token pieces (as the passkey task does), so a prompt has exactly the
 * requested number of tokens: BOS, the instruction, the haystack cut to fit with the needles inserted at
 * random token positions, the question and the answer prefix. The common-word list is the exception: it
 * grows by whole lines and stops before the budget.
 */
public final class RulerGenerator {
    private static final int NEEDLES = 4, CHAIN = 5, COMMON = 10, UNCOMMON_REPEATS = 3;
    private static final Pattern WORD = Pattern.compile("[a-z]{4,9}");

    private final Tokenizer tokenizer;
    private final int bos;
    private final int[] haystack;
    private final List<String> words;

    /** @param text the haystack and word source (the shipped held-out text) */
    public RulerGenerator(Tokenizer tokenizer, int bos, String text) {
        this.tokenizer = tokenizer;
        this.bos = bos;
        this.haystack = tokenizer.encode(text);
        TreeSet<String> distinct = new TreeSet<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            boolean wholeWord = (m.start() == 0 || !Character.isLetter(text.charAt(m.start() - 1)))
                    && (m.end() == text.length() || !Character.isLetter(text.charAt(m.end())));
            if (wholeWord) distinct.add(m.group());
        }
        this.words = List.copyOf(distinct);
        if (haystack.length == 0 || words.size() < 200) throw new IllegalArgumentException("RULER needs a longer text");
    }

    /** Sample {@code index} of {@code kind} with {@code contextTokens} tokens of prompt. */
    public RulerSample sample(RulerKind kind, int contextTokens, int index) {
        SplittableRandom random = new SplittableRandom(seed(kind, contextTokens, index));
        String id = "ruler_" + kind.label() + "-" + contextTokens + "-" + String.format(Locale.ROOT, "%04d", index);
        return switch (kind) {
            case NIAH_SINGLE -> needles(id, kind, contextTokens, random, 1, false, 1);
            case NIAH_MULTIKEY -> needles(id, kind, contextTokens, random, NEEDLES, false, 1);
            case NIAH_MULTIVALUE -> needles(id, kind, contextTokens, random, NEEDLES, true, 1);
            case NIAH_MULTIQUERY -> needles(id, kind, contextTokens, random, NEEDLES, false, NEEDLES);
            case VARIABLE_TRACKING -> variableTracking(id, kind, contextTokens, random);
            case COMMON_WORDS -> commonWords(id, kind, contextTokens, random);
        };
    }

    /** Stable across JVMs: String.hashCode is specified. */
    static long seed(RulerKind kind, int contextTokens, int index) {
        return (("ruler_" + kind.label()).hashCode() * 1_000_003L + contextTokens) * 1_000_003L + index;
    }

    private RulerSample needles(String id, RulerKind kind, int contextTokens, SplittableRandom random, int count,
                                boolean oneKey, int queried) {
        List<String> keys = distinctWords(random, oneKey ? 1 : count);
        List<String> values = distinctNumbers(random, count);
        List<String> needles = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            needles.add("One of the special magic numbers for " + keys.get(oneKey ? 0 : i) + " is: " + values.get(i) + ".");
        }
        List<String> asked = oneKey ? keys : keys.subList(0, queried);
        List<String> references = oneKey ? values : values.subList(0, queried);
        String query = join(asked);
        String prefix = "Some special magic numbers are hidden within the following text. Make sure to memorize it."
                + " I will quiz you about the numbers afterwards.\n";
        String question = "\nWhat are all the special magic numbers for " + query + " mentioned in the provided text?"
                + " The special magic numbers for " + query + " mentioned in the provided text are";
        // The needles go in shuffled, so the queried ones are not always first in the text.
        List<String> order = new ArrayList<>(needles);
        Collections.shuffle(order, new java.util.Random(random.nextLong()));
        return new RulerSample(id, inHaystack(id, contextTokens, random, prefix, order, question), references, kind.maxNewTokens());
    }

    private RulerSample variableTracking(String id, RulerKind kind, int contextTokens, SplittableRandom random) {
        String value = distinctNumbers(random, 1).get(0).substring(0, 5);
        LinkedHashSet<String> names = new LinkedHashSet<>();
        while (names.size() < CHAIN) {
            StringBuilder name = new StringBuilder();
            for (int c = 0; c < 5; c++) name.append((char) ('A' + random.nextInt(26)));
            names.add(name.toString());
        }
        List<String> chain = List.copyOf(names);
        List<String> statements = new ArrayList<>();
        statements.add("VAR " + chain.get(0) + " = " + value + ".");
        for (int i = 1; i < CHAIN; i++) statements.add("VAR " + chain.get(i) + " = VAR " + chain.get(i - 1) + ".");
        String prefix = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n";
        String question = "\nQuestion: Find all variables that are assigned the value " + value + " in the text above."
                + " Answer: According to the chain(s) of variable assignment in the text above, " + CHAIN
                + " variables are assigned the value " + value + ", they are:";
        return new RulerSample(id, inHaystack(id, contextTokens, random, prefix, statements, question), chain, kind.maxNewTokens());
    }

    /**
     * BOS, prefix, the haystack from a random offset with the pieces inserted in order at sorted random
     * positions, then the question: exactly {@code contextTokens} tokens.
     */
    private int[] inHaystack(String id, int contextTokens, SplittableRandom random, String prefix, List<String> pieces,
                             String question) {
        int[] head = tokenizer.encode(prefix), tail = tokenizer.encode(question);
        List<int[]> inserted = new ArrayList<>();
        int insertedTokens = 0;
        for (String p : pieces) {
            int[] t = tokenizer.encode(" " + p);
            inserted.add(t);
            insertedTokens += t.length;
        }
        int budget = contextTokens - 1 - head.length - tail.length - insertedTokens;
        if (budget < pieces.size()) {
            throw new IllegalArgumentException(id + ": " + contextTokens + " tokens cannot hold the instruction, question and "
                    + pieces.size() + " insertions (" + (contextTokens - budget) + " tokens)");
        }
        int start = random.nextInt(haystack.length);
        int[] positions = new int[pieces.size()];
        for (int i = 0; i < positions.length; i++) positions[i] = random.nextInt(budget + 1);
        Arrays.sort(positions);
        int[] prompt = new int[contextTokens];
        int at = 0;
        prompt[at++] = bos;
        for (int t : head) prompt[at++] = t;
        for (int h = 0, next = 0; h <= budget; h++) {
            while (next < positions.length && positions[next] == h) {
                for (int t : inserted.get(next++)) prompt[at++] = t;
            }
            // The text wraps around when the haystack is longer than the shipped text.
            if (h < budget) prompt[at++] = haystack[(start + h) % haystack.length];
        }
        for (int t : tail) prompt[at++] = t;
        return prompt;
    }

    private RulerSample commonWords(String id, RulerKind kind, int contextTokens, SplittableRandom random) {
        String prefix = "Below is a numbered list of words. In these words, some appear more often than others."
                + " Memorize the ones that appear most often.\n";
        String question = "\nQuestion: What are the 10 most common words in the above list? Answer: The top 10 words"
                + " that appear most often in the list are:";
        int[] head = tokenizer.encode(prefix), tail = tokenizer.encode(question);
        int budget = contextTokens - 1 - head.length - tail.length;
        // About 6 tokens a line: common words take about a quarter of the list, and always occur at least twice
        // as often as the others (6 against 3 at least, 30 at most as in RULER).
        int repeats = Math.max(2 * UNCOMMON_REPEATS, Math.min(30, budget / 6 / 4 / COMMON));
        List<String> drawn = distinctWords(random, words.size());
        List<String> common = drawn.subList(0, COMMON);
        List<String> lines = new ArrayList<>();
        for (String w : common) for (int r = 0; r < repeats; r++) lines.add(w);
        int[] list = numbered(lines, random.nextLong());
        if (list.length > budget) {
            throw new IllegalArgumentException(id + ": " + contextTokens + " tokens cannot hold the " + COMMON + " common words "
                    + repeats + " times each (" + (list.length + contextTokens - budget) + " tokens)");
        }
        long order = random.nextLong();
        // Grow by one uncommon word (three lines) while the list fits; the search is over how many are added.
        int low = 0, high = Math.min(drawn.size() - COMMON, budget / UNCOMMON_REPEATS);
        while (low < high) {
            int mid = (low + high + 1) / 2;
            if (numbered(withUncommon(lines, drawn, mid), order).length <= budget) low = mid;
            else high = mid - 1;
        }
        list = numbered(withUncommon(lines, drawn, low), order);
        int[] prompt = new int[1 + head.length + list.length + tail.length];
        int at = 0;
        prompt[at++] = bos;
        for (int[] part : List.of(head, list, tail)) {
            System.arraycopy(part, 0, prompt, at, part.length);
            at += part.length;
        }
        return new RulerSample(id, prompt, List.copyOf(common), kind.maxNewTokens());
    }

    private static List<String> withUncommon(List<String> commonLines, List<String> drawn, int uncommon) {
        List<String> lines = new ArrayList<>(commonLines);
        for (String w : drawn.subList(COMMON, COMMON + uncommon)) for (int r = 0; r < UNCOMMON_REPEATS; r++) lines.add(w);
        return lines;
    }

    /** The lines shuffled by {@code order}, numbered from 1, one "N. word" per line, as token ids. */
    private int[] numbered(List<String> lines, long order) {
        List<String> shuffled = new ArrayList<>(lines);
        Collections.shuffle(shuffled, new java.util.Random(order));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < shuffled.size(); i++) text.append(i + 1).append(". ").append(shuffled.get(i)).append('\n');
        return tokenizer.encode(text.toString());
    }

    private List<String> distinctWords(SplittableRandom random, int count) {
        List<String> pool = new ArrayList<>(words);
        for (int i = 0; i < count; i++) Collections.swap(pool, i, i + random.nextInt(pool.size() - i));
        return List.copyOf(pool.subList(0, count));
    }

    private static List<String> distinctNumbers(SplittableRandom random, int count) {
        LinkedHashSet<String> numbers = new LinkedHashSet<>();
        while (numbers.size() < count) numbers.add(Integer.toString(1_000_000 + random.nextInt(9_000_000)));
        return List.copyOf(numbers);
    }

    /** "a", "a and b", "a, b, and c". */
    private static String join(List<String> items) {
        if (items.size() == 1) return items.get(0);
        if (items.size() == 2) return items.get(0) + " and " + items.get(1);
        return String.join(", ", items.subList(0, items.size() - 1)) + ", and " + items.get(items.size() - 1);
    }
}
