package io.vecinfer.spark;

import io.vecinfer.spark.testing.FailsInTasksRunner;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 5 of issue 14: a failed Spark job reaches the user as the task's own error, once, or as the file to delete. */
class SparkFailuresTest {
    @TempDir
    Path dir;

    private record Ran(int status, String err) {
    }

    private static Ran launch(Consumer<Launcher.Args> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = Launcher.run(new String[] {"sweep.json"}, Launcher.SWEEP_USAGE, "io.vecinfer.spark.Evaluate", null,
                new PrintStream(bytes, true, StandardCharsets.UTF_8), body);
        return new Ran(status, bytes.toString(StandardCharsets.UTF_8));
    }

    private static int occurrences(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) n++;
        return n;
    }

    @Test
    void aTaskThatFailsPrintsItsOwnErrorOnceWithoutSparksAbortText() {
        SweepFile sweep = SweepFile.read(Sweeps.write(dir, "s.json", List.of("fp16"), 2, 1, dir.resolve("out")));
        Ran ran = launch(a -> Evaluate.run(LocalSpark.session(), sweep, GpuPresence.of(LocalSpark.session().sparkContext().getConf()),
                new Runners.Classes(FailsInTasksRunner.class.getName(), Runners.DEFAULT_CUDA_CLASS)));
        assertEquals(1, ran.status(), ran.err());
        assertEquals(1, occurrences(ran.err(), FailsInTasksRunner.MESSAGE), ran.err());
        assertTrue(ran.err().startsWith("error: a Spark task failed (tried 1 time): cannot create cell runner " + FailsInTasksRunner.class.getName()), ran.err());
        assertFalse(ran.err().contains("Job aborted") || ran.err().contains("\tat "), ran.err());
    }

    @Test
    void aDamagedSampleFileIsNamedWithWhatToDoAndDeletingItRecomputesItsSamples() throws Exception {
        SweepFile sweep = SweepFile.read(Sweeps.write(dir, "s.json", List.of("fp16"), 5, 4, dir.resolve("out")));
        Evaluate.run(LocalSpark.session(), sweep);
        Path damaged = LocalSpark.sampleFiles(dir.resolve("out")).get(0);
        long lost = LocalSpark.session().read().parquet(damaged.toString()).count();
        Files.writeString(damaged, "no longer a Parquet file");

        for (Ran ran : List.of(launch(a -> Evaluate.run(LocalSpark.session(), sweep)),
                launch(a -> Report.run(LocalSpark.session(), dir.resolve("out").toString())))) {
            assertEquals(1, ran.status(), ran.err());
            assertTrue(ran.err().contains(damaged.getFileName().toString() + " cannot be read"), ran.err());
            assertTrue(ran.err().contains("delete it: the next Evaluate run computes its samples again"), ran.err());
            assertFalse(ran.err().contains("\tat "), ran.err());
        }
        Files.delete(damaged);
        assertEquals(lost, Evaluate.run(LocalSpark.session(), sweep).committedNow());
    }
}
