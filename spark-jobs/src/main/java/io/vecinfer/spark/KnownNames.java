package io.vecinfer.spark;

import java.util.Set;
import java.util.TreeSet;

/**
 * The names a sweep file may use, kept in one place so that validation, error messages and docs agree.
 * A task or method family is added here when the worker learns it.
 */
public final class KnownNames {
    private KnownNames() {
    }

    /** Tasks the worker can run (evaluation.md); sorted so that error messages list them stably. */
    public static final Set<String> TASKS = new TreeSet<>(io.vecinfer.eval.task.TaskRegistry.names());

    /** The method every other method is compared against in reports. */
    public static final String REFERENCE_METHOD = "fp16";
}
