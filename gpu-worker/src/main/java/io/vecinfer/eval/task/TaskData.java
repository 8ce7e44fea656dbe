package io.vecinfer.eval.task;

import io.vecinfer.eval.data.PasskeyRecord;
import io.vecinfer.eval.data.TextDocument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** The shipped datasets as tasks read them; a bad file fails with the loader's file/line/field message. */
final class TaskData {
    private TaskData() {
    }

    static List<String> texts(Path file) {
        try {
            return TextDocument.load(file).stream().map(TextDocument::text).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    static List<PasskeyRecord> passkeys(Path file) {
        try {
            return PasskeyRecord.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
