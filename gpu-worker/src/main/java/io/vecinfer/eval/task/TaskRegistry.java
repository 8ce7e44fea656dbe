package io.vecinfer.eval.task;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Every task by name: the one list that the CPU loop, the Spark jobs and their validation share. */
public final class TaskRegistry {
    private static final Map<String, EvalTask> TASKS = new LinkedHashMap<>();

    static {
        for (EvalTask task : new EvalTask[]{new PerplexityTask(), new PasskeyTask(), new FidelityTask(),
                new LongBenchFileTask(), new Gsm8kTask()}) {
            TASKS.put(task.name(), task);
        }
        for (EvalTask task : RulerTask.all()) TASKS.put(task.name(), task);
    }

    private TaskRegistry() {
    }

    public static EvalTask task(String name) {
        EvalTask task = TASKS.get(name);
        if (task == null) throw new IllegalArgumentException("unknown task '" + name + "' (known: " + names() + ")");
        return task;
    }

    public static Set<String> names() {
        return TASKS.keySet();
    }
}
