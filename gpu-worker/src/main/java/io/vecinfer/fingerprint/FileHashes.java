package io.vecinfer.fingerprint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sha256 of files' contents, remembered in a small cache file keyed by the file's absolute path,
 * size, modification time and (where the file system has one) change time, so that an 8B checkpoint is
 * read once, not on every run. The change time is set by the kernel on every write and cannot be set
 * back by a user, so a file rewritten in place with its old size and mtime restored is still re-read.
 *
 * <p>The cache file ({@code -Dvecinfer.hashCache}, else {@code $XDG_CACHE_HOME/vecinfer/file-sha256.tsv},
 * else {@code ~/.cache/vecinfer/file-sha256.tsv}) is rewritten whole through a temporary file and a
 * rename, so concurrent JVMs can at worst lose each other's entries, which only costs a re-read. A cache
 * that cannot be read or written is ignored: it never changes a hash, only how fast it comes.
 */
public final class FileHashes {
    private static FileHashes shared;

    private final Path cacheFile;
    private final Map<String, Entry> entries = new HashMap<>();
    private final AtomicLong filesRead = new AtomicLong();
    private boolean loaded;

    private record Entry(String stamp, String sha256) {
    }

    /** @param cacheFile where hashes are remembered; null keeps them in this instance only */
    public FileHashes(Path cacheFile) {
        this.cacheFile = cacheFile;
    }

    /** The JVM's instance, on the configured cache file. */
    public static synchronized FileHashes shared() {
        if (shared == null) shared = new FileHashes(defaultCacheFile());
        return shared;
    }

    /** The full sha256 (64 hex digits) of a file's content, through {@link #shared()}. */
    public static String sha256(Path file) {
        return shared().of(file);
    }

    static Path defaultCacheFile() {
        String configured = System.getProperty("vecinfer.hashCache");
        if (configured != null) return configured.isEmpty() ? null : Path.of(configured);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("vecinfer/file-sha256.tsv");
    }

    /** The full sha256 of the file's content, read only when the cache has none for its current state. */
    public synchronized String of(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        String stamp = stamp(absolute);
        load();
        Entry cached = entries.get(absolute.toString());
        if (cached != null && cached.stamp().equals(stamp)) return cached.sha256();
        String hash = read(absolute);
        // The file may have changed while it was read: remember the hash only if its stamp held still.
        if (stamp(absolute).equals(stamp)) {
            entries.put(absolute.toString(), new Entry(stamp, hash));
            save();
        }
        return hash;
    }

    /** How many files this instance has read to hash them (not found in its cache). */
    public long filesRead() {
        return filesRead.get();
    }

    private static String stamp(Path file) {
        try {
            BasicFileAttributes basic = Files.readAttributes(file, BasicFileAttributes.class);
            if (!basic.isRegularFile()) throw new IOException("not a regular file");
            String stamp = basic.size() + ":" + basic.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            try {
                Object ctime = Files.getAttribute(file, "unix:ctime");
                if (ctime instanceof FileTime t) stamp += ":" + t.to(TimeUnit.NANOSECONDS);
            } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
                // size and mtime only
            }
            return stamp;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private String read(Path file) {
        filesRead.incrementAndGet();
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void load() {
        if (loaded) return;
        loaded = true;
        if (cacheFile == null || !Files.isRegularFile(cacheFile)) return;
        try {
            for (String line : Files.readAllLines(cacheFile, StandardCharsets.UTF_8)) {
                String[] f = line.split("\t", 3);
                if (f.length == 3 && f[0].length() == 64) entries.put(f[2], new Entry(f[1], f[0]));
            }
        } catch (IOException | UncheckedIOException e) {
            entries.clear(); // an unreadable cache is an empty one
        }
    }

    private void save() {
        if (cacheFile == null) return;
        StringBuilder text = new StringBuilder();
        entries.forEach((path, e) -> text.append(e.sha256()).append('\t').append(e.stamp()).append('\t').append(path).append('\n'));
        try {
            Files.createDirectories(cacheFile.toAbsolutePath().getParent());
            Path temp = cacheFile.resolveSibling(cacheFile.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, cacheFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, cacheFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // Not cached: the next run reads the file again, with the same result.
        }
    }

    /** The digest of lines of text, for identities built from several hashes. */
    static String sha256Of(List<String> lines) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String line : lines) digest.update((line + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
