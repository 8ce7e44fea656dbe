package io.vecinfer.spark;

import java.util.List;
import java.util.stream.Collectors;

/** Everything wrong with a sweep file, each problem naming the file, the line and the field. */
public final class SweepSpecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** One problem; line is 0 when it is not known (a field that is missing altogether). */
    public record Problem(String file, int line, String field, String message) {
        @Override
        public String toString() {
            return file + (line > 0 ? ":" + line : "") + ": " + (field.isEmpty() ? "" : field + ": ") + message;
        }
    }

    private final List<Problem> problems;

    public SweepSpecException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n", "invalid sweep:\n", "")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
