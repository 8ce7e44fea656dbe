package io.vecinfer.eval.task;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/** A cell's task inputs ({@link Cell#inputs()}) as a task reads them, with errors that name the task and the input. */
final class TaskInputs {
    private final Cell cell;

    TaskInputs(Cell cell, Set<String> known) {
        this.cell = cell;
        Set<String> unknown = new TreeSet<>(cell.inputs().keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(cell.task() + ": unknown input(s) " + unknown + " (known: " + new TreeSet<>(known) + ")");
        }
    }

    /** A file that must be given and exist. */
    Path file(String name, String what) {
        String value = cell.inputs().get(name);
        if (value == null) throw new IllegalArgumentException(cell.task() + ": needs inputs." + name + " (" + what + ")");
        Path file = Path.of(value);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(cell.task() + ": inputs." + name + ": file not found: " + file);
        return file;
    }

    boolean has(String name) {
        return cell.inputs().containsKey(name);
    }

    int integer(String name, int fallback) {
        String value = cell.inputs().get(name);
        if (value == null) return fallback;
        try {
            int n = Integer.parseInt(value.strip());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(cell.task() + ": inputs." + name + ": '" + value + "' is not a count >= 0");
        }
    }
}
