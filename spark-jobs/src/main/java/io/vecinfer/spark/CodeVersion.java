package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The version recorded in every row and hashed into every cell: the jar's Implementation-Version
 * ({@code dev} from classes) plus a build hash, the sha256 of every class and resource of spark-jobs and
 * gpu-worker (the jars' entries or the class folders' files, by name and content; META-INF left out,
 * since it holds build times). A version string alone stays {@code 0.1.0-SNAPSHOT} through every
 * change; the build hash changes with any change to the code that computes a result, so a rerun on
 * new code computes its cells anew instead of reporting the old code's numbers.
 */
public final class CodeVersion {
    private static final int HASH_LENGTH = 12;
    private static String version;

    private CodeVersion() {
    }

    /** E.g. {@code 0.1.0-SNAPSHOT+3f2a9c1b7d40}; computed once per JVM. */
    public static synchronized String get() {
        if (version == null) {
            String declared = CodeVersion.class.getPackage().getImplementationVersion();
            String build;
            try {
                build = buildHash(List.of(codeSource(CodeVersion.class), codeSource(Cell.class)));
            } catch (RuntimeException e) {
                // A class loader that hides where the code came from: rows still get a version, marked as unhashed.
                LoggerFactory.getLogger(CodeVersion.class).warn("code version without a build hash: {}", e.getMessage());
                build = "unhashed";
            }
            version = (declared == null ? "dev" : declared) + "+" + build;
        }
        return version;
    }

    /** The build hash of jars or class folders. */
    static String buildHash(List<Path> codeSources) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path source : codeSources.stream().distinct().toList()) {
                TreeMap<String, byte[]> entries = Files.isDirectory(source) ? folderEntries(source) : jarEntries(source);
                entries.forEach((name, bytes) -> {
                    digest.update((name + "\n" + bytes.length + "\n").getBytes(StandardCharsets.UTF_8));
                    digest.update(bytes);
                });
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, HASH_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot tell where " + type.getName() + " was loaded from, to hash the code", e);
        }
    }

    private static TreeMap<String, byte[]> folderEntries(Path folder) {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        try (Stream<Path> files = Files.walk(folder)) {
            List<Path> regular = new ArrayList<>(files.filter(Files::isRegularFile).toList());
            for (Path file : regular) {
                String name = folder.relativize(file).toString().replace('\\', '/');
                if (!name.startsWith("META-INF/")) entries.put(name, Files.readAllBytes(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash the code in " + folder, e);
        }
        return entries;
    }

    private static TreeMap<String, byte[]> jarEntries(Path jar) {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : java.util.Collections.list(file.entries())) {
                if (entry.isDirectory() || entry.getName().startsWith("META-INF/")) continue;
                try (InputStream in = file.getInputStream(entry)) {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash the code in " + jar, e);
        }
        return entries;
    }
}
