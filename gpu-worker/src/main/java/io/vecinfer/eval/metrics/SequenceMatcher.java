package io.vecinfer.eval.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code difflib.SequenceMatcher(None, a, b)} over code points, far enough to give
 * {@link #ratio()} bit for bit: the same longest-match search, its tie-breaks, and the autojunk
 * heuristic, under which a character of b that is "popular" (b has at least 200 characters and the
 * character fills more than 1% + 1 of them) cannot start a match, only extend one.
 */
public final class SequenceMatcher {

    private static final int AUTOJUNK_MIN_LENGTH = 200;

    private final int[] a;
    private final int[] b;
    /** Positions in b of each character, ascending; popular characters are left out. */
    private final Map<Integer, int[]> positionsInB;

    public SequenceMatcher(String a, String b) {
        this.a = PyStrings.codePoints(a);
        this.b = PyStrings.codePoints(b);
        this.positionsInB = indexWithoutPopular(this.b);
    }

    /** 2·M / T, where M is the number of matched characters and T the total length; 1 if both empty. */
    public double ratio() {
        int total = a.length + b.length;
        return total == 0 ? 1.0 : 2.0 * matchingCharacters() / total;
    }

    /** The sum of the sizes of {@code get_matching_blocks()}. */
    public int matchingCharacters() {
        int matched = 0;
        Deque<int[]> pending = new ArrayDeque<>();
        pending.push(new int[] {0, a.length, 0, b.length});
        while (!pending.isEmpty()) {
            int[] range = pending.pop();
            int alo = range[0], ahi = range[1], blo = range[2], bhi = range[3];
            Match match = findLongestMatch(alo, ahi, blo, bhi);
            if (match.size() > 0) {
                matched += match.size();
                if (alo < match.a() && blo < match.b()) {
                    pending.push(new int[] {alo, match.a(), blo, match.b()});
                }
                if (match.a() + match.size() < ahi && match.b() + match.size() < bhi) {
                    pending.push(new int[] {match.a() + match.size(), ahi, match.b() + match.size(), bhi});
                }
            }
        }
        return matched;
    }

    /** a[a..a+size) == b[b..b+size). */
    public record Match(int a, int b, int size) {}

    /**
     * The longest matching block in a[alo..ahi) × b[blo..bhi), earliest in a and then in b among
     * equals; then widened over neighbours that are equal, which is how popular characters get in.
     */
    public Match findLongestMatch(int alo, int ahi, int blo, int bhi) {
        int bestI = alo, bestJ = blo, bestSize = 0;
        // runLength.get(j): length of the match ending at a[i-1], b[j]
        Map<Integer, Integer> runLength = new HashMap<>();
        for (int i = alo; i < ahi; i++) {
            Map<Integer, Integer> nextRunLength = new HashMap<>();
            for (int j : positionsInB.getOrDefault(a[i], NO_POSITIONS)) {
                if (j < blo) {
                    continue;
                }
                if (j >= bhi) {
                    break;
                }
                int k = runLength.getOrDefault(j - 1, 0) + 1;
                nextRunLength.put(j, k);
                if (k > bestSize) {
                    bestI = i - k + 1;
                    bestJ = j - k + 1;
                    bestSize = k;
                }
            }
            runLength = nextRunLength;
        }
        while (bestI > alo && bestJ > blo && a[bestI - 1] == b[bestJ - 1]) {
            bestI--;
            bestJ--;
            bestSize++;
        }
        while (bestI + bestSize < ahi && bestJ + bestSize < bhi && a[bestI + bestSize] == b[bestJ + bestSize]) {
            bestSize++;
        }
        return new Match(bestI, bestJ, bestSize);
    }

    private static final int[] NO_POSITIONS = new int[0];

    private static Map<Integer, int[]> indexWithoutPopular(int[] b) {
        Map<Integer, List<Integer>> positions = new HashMap<>();
        for (int j = 0; j < b.length; j++) {
            positions.computeIfAbsent(b[j], c -> new ArrayList<>()).add(j);
        }
        int popularAbove = b.length / 100 + 1;
        Map<Integer, int[]> index = new HashMap<>();
        positions.forEach((character, js) -> {
            boolean popular = b.length >= AUTOJUNK_MIN_LENGTH && js.size() > popularAbove;
            if (!popular) {
                index.put(character, js.stream().mapToInt(Integer::intValue).toArray());
            }
        });
        return index;
    }
}
