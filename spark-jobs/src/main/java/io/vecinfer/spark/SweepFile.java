package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads a sweep file (.json, or .yaml/.yml) into a {@link SweepSpec}. Syntax and type errors come back
 * as a {@link SweepSpecException} naming the file, line and field; {@link SweepValidator} then checks
 * what the values mean, with the same line numbers.
 */
public final class SweepFile {
    private final Path path;
    private final SweepSpec spec;
    private final FieldLocations locations;
    /** Whether the output folder came from a launcher's --output, so that its problems name the flag, not a line. */
    private final boolean outputFromFlag;

    private SweepFile(Path path, SweepSpec spec, FieldLocations locations, boolean outputFromFlag) {
        this.path = path;
        this.spec = spec;
        this.locations = locations;
        this.outputFromFlag = outputFromFlag;
    }

    public static SweepFile read(Path path) {
        JsonFactory factory = isYaml(path) ? new YAMLFactory() : new JsonFactory();
        ObjectMapper mapper = new ObjectMapper(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new SweepSpecException(List.of(new SweepSpecException.Problem(path.toString(), 0, "", "cannot read: " + e)));
        }
        FieldLocations locations;
        try (JsonParser scan = factory.createParser(text)) {
            locations = FieldLocations.scan(scan);
        } catch (JsonProcessingException e) {
            throw problem(path, lineOf(e.getLocation()), "", e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            SweepSpec spec = mapper.readValue(text, SweepSpec.class);
            if (spec == null) throw problem(path, 1, "", "the file holds no sweep");
            return new SweepFile(path, spec, locations, false);
        } catch (JsonMappingException e) {
            String pointer = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? "/" + r.getFieldName() : "/" + r.getIndex())
                    .collect(Collectors.joining());
            // Jackson binds records through their constructor, after reading the whole object, so its
            // location may be the object's end: the scanned line of the field is the better one.
            int line = pointer.isEmpty() ? 0 : locations.lineOf(pointer);
            throw problem(path, line > 0 ? line : lineOf(e.getLocation()), FieldLocations.fieldName(pointer), e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw problem(path, lineOf(e.getLocation()), "", e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same sweep writing elsewhere, as a program chose. */
    public SweepFile withOutput(String output) {
        return new SweepFile(path, spec.withOutput(output), locations, false);
    }

    /** The same sweep writing where a launcher's --output says; problems with it name the flag. */
    public SweepFile withOutputFlag(String output) {
        return new SweepFile(path, spec.withOutput(output), locations, true);
    }

    public Path path() {
        return path;
    }

    public SweepSpec spec() {
        return spec;
    }

    /** A problem at the field with the given JSON pointer, e.g. {@code /tasks/1/name}. */
    SweepSpecException.Problem problemAt(String pointer, String message) {
        if (outputFromFlag && pointer.equals("/output")) return new SweepSpecException.Problem("command line", 0, Launcher.OUTPUT_FLAG, message);
        return new SweepSpecException.Problem(path.toString(), locations.lineOf(pointer), FieldLocations.fieldName(pointer), message);
    }

    private static boolean isYaml(Path path) {
        String name = path.getFileName().toString().toLowerCase();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static int lineOf(JsonLocation location) {
        return location == null ? 0 : location.getLineNr();
    }

    private static SweepSpecException problem(Path path, int line, String field, String message) {
        return new SweepSpecException(List.of(new SweepSpecException.Problem(path.toString(), Math.max(line, 0), field, message)));
    }
}
