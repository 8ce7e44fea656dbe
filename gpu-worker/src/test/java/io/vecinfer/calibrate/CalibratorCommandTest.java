package io.vecinfer.calibrate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Calibrator command as a user at a terminal meets it: messages, not stack traces, and --out checked before the fit. */
class CalibratorCommandTest {
    @TempDir
    Path dir;

    private record Ran(int status, String out, String err) {
    }

    private static Path repo() {
        return Path.of(System.getProperty("vecinfer.repo", "..")).toAbsolutePath().normalize();
    }

    private Ran calibrator(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Calibrator.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Ran(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String[] valid(String out, String... more) {
        List<String> args = new ArrayList<>(List.of("--model", repo().resolve("datasets/reference-model").toString(),
                "--method", "vecinfer:k=d4b8,v=d4b8,r=32", "--text", repo().resolve("datasets/calibration/calibration.jsonl").toString(),
                "--windows", "1", "--window-tokens", "64", "--iterations", "1", "--out", out));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void anOutInAFolderThatDoesNotExistIsRefusedBeforeTheFitWithoutATrace() {
        Path out = dir.resolve("no-such-folder/books.safetensors");
        Ran ran = calibrator(valid(out.toString()));
        assertEquals(1, ran.status(), ran.err());
        assertTrue(ran.err().startsWith("error: --out " + out + ": folder " + out.getParent() + " does not exist"), ran.err());
        assertTrue(ran.err().contains("(run with --verbose for the stack trace)"), ran.err());
        assertFalse(ran.err().contains("\tat "), ran.err());
        assertEquals("", ran.out(), "nothing was fitted");

        Ran verbose = calibrator(valid(out.toString(), "--verbose"));
        assertEquals(1, verbose.status());
        assertTrue(verbose.err().contains("\tat io.vecinfer.calibrate.Calibrator"), verbose.err());
    }

    @Test
    void badFlagsAndValuesAreMessages() {
        Ran unknown = calibrator("--model", "m", "--methd", "fp16");
        assertEquals(Calibrator.USAGE, unknown.status());
        assertTrue(unknown.err().contains("unknown flag '--methd' (flags: --model, --method, --out"), unknown.err());

        Ran fitted = calibrator(valid(dir.resolve("b.safetensors").toString()));
        assertEquals(0, fitted.status(), fitted.err());
        String[] args = valid(dir.resolve("c.safetensors").toString());
        args[3] = "fp16";
        Ran noCodebooks = calibrator(args);
        assertEquals(1, noCodebooks.status());
        assertTrue(noCodebooks.err().startsWith("error: --method 'fp16' has no codebooks to calibrate"), noCodebooks.err());
        assertFalse(noCodebooks.err().contains("\tat "), noCodebooks.err());
        assertTrue(Files.isRegularFile(dir.resolve("b.safetensors")));
        assertFalse(Files.exists(dir.resolve("c.safetensors")));
    }
}
