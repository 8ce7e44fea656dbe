package io.vecinfer.dataset;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset or prediction file that does not follow its published format. The message names the
 * file, the 1-based line and the field, so a bad record in a 200 MB JSONL can be found at once.
 */
public final class DatasetFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final Path file;
    private final int line;
    private final String field;

    /** line 0 means the whole file (e.g. no records); field null means the whole record. */
    public DatasetFormatException(Path file, int line, String field, String problem) {
        super(describe(file, line, field, problem));
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String field() {
        return field;
    }

    private static String describe(Path file, int line, String field, String problem) {
        String where = line > 0 ? file + ", line " + line : file.toString();
        return field == null ? where + ": " + problem : where + ", field '" + field + "': " + problem;
    }
}
