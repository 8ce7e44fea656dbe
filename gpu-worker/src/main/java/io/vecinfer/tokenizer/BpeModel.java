package io.vecinfer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/** The {@code model} section of tokenizer.json: a BPE vocabulary and its ranked merges. */
final class BpeModel {

    /** Merging {@code (left, right)} gives {@code mergedId}; lower ranks merge first. */
    private record Merge(int rank, int mergedId) {}

    // HF's own cache bounds: most pieces are short words that recur, long ones rarely repeat.
    private static final int CACHE_CAPACITY = 10_000;
    private static final int CACHEABLE_LENGTH = 256;

    final Map<String, Integer> vocab;
    private final Map<Long, Merge> merges;
    private final boolean ignoreMerges;
    private final int unknownId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private BpeModel(Map<String, Integer> vocab, Map<Long, Merge> merges, boolean ignoreMerges, int unknownId) {
        this.vocab = vocab;
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        this.unknownId = unknownId;
    }

    static BpeModel from(TokenizerFile file) {
        JsonNode model = file.required(file.root, "", "model");
        // Files older than HF's tagged serialization omit the type; their model is BPE.
        String type = model.has("type") ? file.requiredText(model, "model", "type") : "BPE";
        if (!type.equals("BPE")) {
            throw file.invalid("model.type", "unsupported model \"" + type + "\" (supported: BPE)");
        }
        if (model.hasNonNull("dropout") && model.get("dropout").asDouble() != 0) {
            throw file.invalid("model.dropout", model.get("dropout") + " is not supported: encoding must be deterministic");
        }
        file.requireFlag(model, "model", "byte_fallback", false);
        file.requireFlag(model, "model", "fuse_unk", false);
        requireEmpty(file, model, "continuing_subword_prefix");
        requireEmpty(file, model, "end_of_word_suffix");

        Map<String, Integer> vocab = readVocab(file, model);
        int unknownId = -1;
        if (model.hasNonNull("unk_token")) {
            String unknown = model.get("unk_token").asText();
            Integer id = vocab.get(unknown);
            if (id == null) {
                throw file.invalid("model.unk_token", "\"" + unknown + "\" is not in model.vocab");
            }
            unknownId = id;
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        return new BpeModel(vocab, readMerges(file, model, vocab), ignoreMerges, unknownId);
    }

    private static void requireEmpty(TokenizerFile file, JsonNode model, String name) {
        if (model.hasNonNull(name) && !model.get(name).asText().isEmpty()) {
            throw file.invalid("model." + name, model.get(name) + " is not supported (byte-level BPE uses none)");
        }
    }

    private static Map<String, Integer> readVocab(TokenizerFile file, JsonNode model) {
        JsonNode entries = file.required(model, "model", "vocab");
        if (!entries.isObject()) {
            throw file.invalid("model.vocab", "expected an object of token to id, found " + entries.getNodeType());
        }
        Map<String, Integer> vocab = new HashMap<>(entries.size() * 2);
        for (Map.Entry<String, JsonNode> entry : entries.properties()) {
            if (!entry.getValue().canConvertToInt() || entry.getValue().asInt() < 0) {
                throw file.invalid("model.vocab." + entry.getKey(), "expected a non-negative integer id, found " + entry.getValue());
            }
            vocab.put(entry.getKey(), entry.getValue().asInt());
        }
        return vocab;
    }

    /** Merges are "left right" strings in older files and [left, right] arrays in newer ones. */
    private static Map<Long, Merge> readMerges(TokenizerFile file, JsonNode model, Map<String, Integer> vocab) {
        JsonNode entries = file.required(model, "model", "merges");
        Map<Long, Merge> merges = new HashMap<>(entries.size() * 2);
        for (int rank = 0; rank < entries.size(); rank++) {
            JsonNode entry = entries.get(rank);
            String left;
            String right;
            if (entry.isArray() && entry.size() == 2) {
                left = entry.get(0).asText();
                right = entry.get(1).asText();
            } else if (entry.isTextual() && entry.asText().indexOf(' ') > 0
                    && entry.asText().indexOf(' ') == entry.asText().lastIndexOf(' ')) {
                int space = entry.asText().indexOf(' ');
                left = entry.asText().substring(0, space);
                right = entry.asText().substring(space + 1);
            } else {
                throw file.invalid(mergeField(rank), "expected \"left right\" or [left, right], found " + entry);
            }
            int leftId = idOf(file, vocab, left, rank);
            int rightId = idOf(file, vocab, right, rank);
            int mergedId = idOf(file, vocab, left + right, rank);
            // A repeated pair keeps its last rank, as HF's map of merges does.
            merges.put(pair(leftId, rightId), new Merge(rank, mergedId));
        }
        return merges;
    }

    private static int idOf(TokenizerFile file, Map<String, Integer> vocab, String token, int rank) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw file.invalid(mergeField(rank), "token \"" + token + "\" is not in model.vocab");
        }
        return id;
    }

    private static String mergeField(int rank) {
        return "model.merges[" + rank + "]";
    }

    /**
     * One long per pair. Long.hashCode xors the two halves, which collides for most id pairs, so the
     * packed pair is multiplied by an odd constant: still one key per pair, but well spread.
     */
    private static long pair(int leftId, int rightId) {
        return (((long) leftId << 32) | (rightId & 0xFFFFFFFFL)) * 0x9E3779B97F4A7C15L;
    }

    /** The ids of one pre-tokenized piece, written in byte-level characters. */
    int[] encode(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        Integer whole = ignoreMerges ? vocab.get(piece) : null;
        int[] ids = whole != null ? new int[] {whole} : merge(piece);
        // Bounded by refusing new entries once full, so no lock and no eviction bookkeeping.
        if (piece.length() <= CACHEABLE_LENGTH && cache.size() < CACHE_CAPACITY) {
            cache.put(piece, ids);
        }
        return ids;
    }

    /**
     * HF's merge order: always the lowest-ranked pair present, the leftmost among equals, with the
     * symbols kept as a linked list and the candidate pairs in a heap, so long pieces stay n log n.
     */
    private int[] merge(String piece) {
        int[] ids = new int[piece.length()];
        int count = 0;
        for (int i = 0; i < piece.length(); i++) {
            Integer id = vocab.get(String.valueOf(piece.charAt(i)));
            if (id != null) {
                ids[count++] = id;
            } else if (unknownId >= 0) {
                ids[count++] = unknownId;
            } // else dropped, as HF does when the model has no unk_token
        }
        int[] prev = new int[count];
        int[] next = new int[count];
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }

        // Each entry is rank << 32 | position, so the natural order is HF's (rank, then leftmost).
        PriorityQueue<Long> candidates = new PriorityQueue<>();
        for (int i = 0; i + 1 < count; i++) {
            offer(candidates, ids, i, i + 1);
        }
        int alive = count;
        while (!candidates.isEmpty()) {
            long top = candidates.poll();
            int left = (int) top;
            int right = next[left];
            if (ids[left] < 0 || right < 0) {
                continue; // left was merged into its neighbour, or is now the last symbol
            }
            Merge merge = merges.get(pair(ids[left], ids[right]));
            if (merge == null || merge.rank() != (int) (top >>> 32)) {
                continue; // stale: the pair at this position has changed since it was queued
            }
            ids[left] = merge.mergedId();
            ids[right] = -1;
            alive--;
            next[left] = next[right];
            if (next[left] >= 0) {
                prev[next[left]] = left;
                offer(candidates, ids, left, next[left]);
            }
            if (prev[left] >= 0) {
                offer(candidates, ids, prev[left], left);
            }
        }

        int[] result = new int[alive];
        for (int i = 0, j = 0; i < count; i++) {
            if (ids[i] >= 0) {
                result[j++] = ids[i];
            }
        }
        return result;
    }

    private void offer(PriorityQueue<Long> candidates, int[] ids, int left, int right) {
        Merge merge = merges.get(pair(ids[left], ids[right]));
        if (merge != null) {
            candidates.add(((long) merge.rank() << 32) | left);
        }
    }
}
