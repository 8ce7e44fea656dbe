package io.vecinfer.spark;

import io.vecinfer.spark.testing.Sweeps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * spark-jobs/scripts/trim_jars.py, which packs the GPU host's Spark runtime: it keeps classes and linux-x86_64
 * natives, cuts other platforms' natives and JCuda's libraries other than the driver's, leaves out the jars it
 * names, and stores what it keeps uncompressed (so one xz pass over the runtime compresses across jars).
 */
class SparkRuntimeTrimTest {
    @Test
    void keepsThisPlatformAndCutsTheRest(@TempDir Path dir) throws Exception {
        Path multi = jar(dir.resolve("zstd-jni-1.5.7-7.jar"), "com/github/luben/zstd/Zstd.class", "linux/amd64/libzstd-jni.so",
                "linux/aarch64/libzstd-jni.so", "darwin/x86_64/libzstd-jni.dylib", "win/amd64/libzstd-jni.dll");
        Path jcuda = jar(dir.resolve("jcuda-natives-12.6.0-linux-x86_64.jar"), "lib/libJCudaDriver-12.6.0-linux-x86_64.so",
                "lib/libJCudaRuntime-12.6.0-linux-x86_64.so", "lib/libJNvPTXCompiler-12.6.0-linux-x86_64.so");
        Path epoll = jar(dir.resolve("netty-transport-native-epoll-4.2.13.Final-linux-x86_64.jar"),
                "META-INF/native/libnetty_transport_native_epoll_x86_64.so");
        Path rocks = jar(dir.resolve("rocksdbjni-9.8.4.jar"), "org/rocksdb/RocksDB.class");
        Path foreign = jar(dir.resolve("netty-transport-native-kqueue-4.2.13.Final-osx-x86_64.jar"), "META-INF/native/libnetty.jnilib");
        Path classpath = Files.writeString(dir.resolve("cp.txt"), String.join(":", List.of(multi.toString(), jcuda.toString(), epoll.toString(),
                rocks.toString(), foreign.toString())));
        Path out = dir.resolve("jars");

        Process p = new ProcessBuilder("python3", Sweeps.repoRoot().resolve("spark-jobs/scripts/trim_jars.py").toString(), classpath.toString(),
                out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, log);

        assertEquals(List.of("com/github/luben/zstd/Zstd.class", "linux/amd64/libzstd-jni.so"), entries(out.resolve(multi.getFileName())));
        assertEquals(List.of("lib/libJCudaDriver-12.6.0-linux-x86_64.so"), entries(out.resolve(jcuda.getFileName())));
        assertEquals(List.of("META-INF/native/libnetty_transport_native_epoll_x86_64.so"), entries(out.resolve(epoll.getFileName())),
                "a linux-x86_64 classifier jar keeps its natives");
        assertFalse(Files.exists(out.resolve(rocks.getFileName())), "RocksDB is left out");
        assertFalse(Files.exists(out.resolve(foreign.getFileName())), "another platform's jar is left out");
        assertTrue(log.contains("dropped rocksdbjni-9.8.4.jar") && log.contains("dropped netty-transport-native-kqueue"), log);
        try (ZipFile z = new ZipFile(out.resolve(multi.getFileName()).toFile())) {
            z.stream().forEach(e -> assertEquals(ZipEntry.STORED, e.getMethod(), e.getName() + " stored uncompressed"));
        }
    }

    private static Path jar(Path path, String... names) throws IOException {
        try (OutputStream out = Files.newOutputStream(path); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String name : names) {
                zip.putNextEntry(new ZipEntry(name));
                zip.write(("bytes of " + name).repeat(20).getBytes());
                zip.closeEntry();
            }
        }
        return path;
    }

    private static List<String> entries(Path jar) throws IOException {
        List<String> names = new ArrayList<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            z.stream().forEach(e -> names.add(e.getName()));
        }
        Collections.sort(names);
        return names;
    }
}
