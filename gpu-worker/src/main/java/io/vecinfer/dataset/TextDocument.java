package io.vecinfer.dataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One document of the shipped text sets (datasets/heldout, datasets/calibration): an id and its text. */
public record TextDocument(String id, String text) {

    public static List<TextDocument> load(Path file) throws IOException {
        return JsonLines.read(file, r -> new TextDocument(r.text("id"), r.text("text")));
    }
}
