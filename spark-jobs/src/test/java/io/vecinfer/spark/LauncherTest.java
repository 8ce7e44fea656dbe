package io.vecinfer.spark;

import io.vecinfer.spark.testing.Sweeps;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mains' command lines, master and error output, as a user at a terminal meets them. */
class LauncherTest {
    @TempDir
    Path dir;

    private record Ran(int status, String err) {
    }

    private static Ran run(List<String> args, Consumer<Launcher.Args> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = Launcher.run(args.toArray(String[]::new), Launcher.SWEEP_USAGE, "io.vecinfer.spark.Evaluate", null,
                new PrintStream(bytes, true, StandardCharsets.UTF_8), body);
        return new Ran(status, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutAMasterTheMainsRunLocally() {
        assertEquals(Optional.of("local[*]"), Launcher.masterUnlessConfigured(new SparkConf(false)));
        assertEquals(Optional.empty(), Launcher.masterUnlessConfigured(new SparkConf(false).setMaster("yarn")), "spark-submit's master is kept");
    }

    @Test
    void anUnknownFlagListsTheKnownOnes() {
        Ran ran = run(List.of("sweep.json", "--ouput", "out"), a -> {
        });
        assertEquals(2, ran.status());
        assertTrue(ran.err().contains("unknown flag --ouput (known: --output, --verbose)"), ran.err());
        assertTrue(ran.err().contains("usage: io.vecinfer.spark.Evaluate SWEEP_FILE [--output DIR] [--verbose]"), ran.err());
        assertEquals(2, run(List.of(), a -> {
        }).status(), "the sweep file is required");
    }

    @Test
    void theProjectsErrorsPrintTheirMessageAndTheTraceOnlyWhenVerbose() {
        Consumer<Launcher.Args> failing = a -> {
            throw new SweepSpecException(List.of(new SweepSpecException.Problem("s.json", 3, "tasks[0].name", "unknown task 'x'")));
        };
        Ran quiet = run(List.of("s.json"), failing);
        assertEquals(1, quiet.status());
        assertTrue(quiet.err().startsWith("error: invalid sweep:\ns.json:3: tasks[0].name: unknown task 'x'"), quiet.err());
        assertFalse(quiet.err().contains("\tat "), quiet.err());
        assertTrue(quiet.err().contains("--verbose"), quiet.err());

        Ran verbose = run(List.of("s.json", "--verbose"), failing);
        assertEquals(1, verbose.status());
        assertTrue(verbose.err().contains("\tat io.vecinfer.spark."), verbose.err());
    }

    @Test
    void otherErrorsAreBugsAndKeepTheirTrace() {
        assertThrows(NullPointerException.class, () -> run(List.of("s.json"), a -> {
            throw new NullPointerException("a bug");
        }));
    }

    @Test
    void aBadOutputFlagIsNamedAsTheFlag() throws Exception {
        Path sweepFile = Sweeps.write(dir, "s.json", List.of("fp16"), 1, 1, dir.resolve("out"));
        Path aFile = Files.writeString(dir.resolve("a-file"), "not a folder");
        Launcher.Args args = Launcher.parse(new String[] {sweepFile.toString(), "--output", aFile.resolve("out").toString()},
                Launcher.SWEEP_USAGE, null, true);
        SweepSpecException e = assertThrows(SweepSpecException.class,
                () -> SweepValidator.validate(Launcher.sweep(args), new GpuPresence(false, "test"), new Configuration()));
        assertEquals(1, e.problems().size(), e.getMessage());
        SweepSpecException.Problem problem = e.problems().get(0);
        assertEquals("--output", problem.field());
        assertEquals(0, problem.line());
        assertTrue(problem.toString().startsWith("command line: --output: output folder is not writable"), problem.toString());
    }
}
