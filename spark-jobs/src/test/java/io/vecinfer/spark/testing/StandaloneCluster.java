package io.vecinfer.spark.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on loopback, from this JVM's own classpath (no Spark distribution,
 * no Maven step before the tests): a SPARK_HOME whose jars/ links every dependency jar, a master and
 * workers as separate JVMs, each worker with its own GPU address in a resources file. The project's
 * compiled classes (directories on the classpath) are packed into jars that reach the executors only
 * through spark.jars, as with spark-submit on a real cluster.
 */
public final class StandaloneCluster implements AutoCloseable {
    private final Path home;
    private final int masterPort;
    private final List<Process> processes = new ArrayList<>();
    private final List<Process> workers = new ArrayList<>();
    private final List<Path> projectJars = new ArrayList<>();

    public StandaloneCluster(Path home, int workerCount) {
        this.home = home;
        this.masterPort = freePort();
        try {
            layOutHome(workerCount);
            processes.add(start("master", List.of(), "org.apache.spark.deploy.master.Master",
                    "--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(freePort())));
            for (int i = 0; i < workerCount; i++) {
                Process worker = start("worker" + i,
                        List.of("-Dspark.worker.resource.gpu.amount=1", "-Dspark.worker.resourcesFile=" + home.resolve("conf/gpu" + i + ".json")),
                        "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                        "--webui-port", String.valueOf(freePort()), "--work-dir", home.resolve("work" + i).toString(), masterUrl());
                processes.add(worker);
                workers.add(worker);
            }
            for (int i = 0; i < workerCount; i++) awaitLog(home.resolve("worker" + i + ".log"), "Successfully registered with master", Duration.ofSeconds(60));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** Submits a main class in client mode; the driver is a JVM of its own. Its output goes to logName. */
    public Process submit(String logName, String mainClass, List<String> conf, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("--master", masterUrl(), "--deploy-mode", "client", "--class", mainClass,
                "--jars", String.join(",", projectJars.subList(1, projectJars.size()).stream().map(Path::toString).toList())));
        for (String c : conf) command.addAll(List.of("--conf", c));
        command.add(projectJars.get(0).toString());
        command.addAll(List.of(args));
        // The driver (client mode: this JVM) hashes cells with the test's datasets folder, as the test JVM does.
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g"));
        for (String property : List.of("vecinfer.datasets", "vecinfer.hashCache")) {
            if (System.getProperty(property) != null) jvm.add("-D" + property + "=" + System.getProperty(property));
        }
        Process driver = start(logName, jvm, "org.apache.spark.deploy.SparkSubmit", command.toArray(String[]::new));
        processes.add(driver);
        return driver;
    }

    /** kill -9 of the executor JVM(s) that worker i started. */
    public int killExecutorsOf(int worker) {
        List<ProcessHandle> executors = workers.get(worker).descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
        executors.forEach(ProcessHandle::destroyForcibly);
        return executors.size();
    }

    public Path log(String name) {
        return home.resolve(name + ".log");
    }

    private void layOutHome(int workerCount) throws IOException {
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/log4j2.properties"), """
                rootLogger.level = warn
                rootLogger.appenderRef.stdout.ref = console
                appender.console.type = Console
                appender.console.name = console
                appender.console.target = SYSTEM_ERR
                appender.console.layout.type = PatternLayout
                appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
                logger.vecinfer.name = io.vecinfer
                logger.vecinfer.level = info
                logger.worker.name = org.apache.spark.deploy
                logger.worker.level = info
                logger.nativeloader.name = org.apache.hadoop.util.NativeCodeLoader
                logger.nativeloader.level = error
                """);
        for (int i = 0; i < workerCount; i++) {
            Files.writeString(home.resolve("conf/gpu" + i + ".json"),
                    "[{\"id\":{\"componentName\":\"spark.worker\",\"resourceName\":\"gpu\"},\"addresses\":[\"" + i + "\"]}]");
        }
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path mainClasses = null;
        List<Path> otherClasses = new ArrayList<>();
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            Path path = Path.of(entry);
            if (Files.isDirectory(path)) {
                if (path.endsWith(Path.of("spark-jobs", "target", "classes"))) mainClasses = path;
                else otherClasses.add(path);
            } else if (entry.endsWith(".jar") && Files.isRegularFile(path)) {
                Path link = home.resolve("jars").resolve(path.getFileName());
                if (!Files.exists(link)) Files.createSymbolicLink(link, path.toAbsolutePath());
            }
        }
        if (mainClasses == null) throw new IllegalStateException("spark-jobs/target/classes is not on the classpath: " + classpath);
        projectJars.add(jar(mainClasses, home.resolve("app/spark-jobs.jar")));
        for (int i = 0; i < otherClasses.size(); i++) projectJars.add(jar(otherClasses.get(i), home.resolve("app/classes-" + i + ".jar")));
    }

    private Process start(String name, List<String> jvmOptions, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(sparkModuleOptions());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", home.resolve("conf") + java.io.File.pathSeparator + home.resolve("jars") + "/*", mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(name).toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        return builder.start();
    }

    /** Spark's module options, as this test JVM got them from the build (spark.module.options). */
    private static List<String> sparkModuleOptions() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-modules") || a.startsWith("--enable-native-access")
                        || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
                        || a.startsWith("-Djdk.reflect") || a.startsWith("-Dio.netty"))
                .toList();
    }

    private static Path jar(Path classes, Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                zip.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, zip);
                zip.closeEntry();
            }
        }
        return jar;
    }

    public static void awaitLog(Path log, String text, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            try {
                if (Files.exists(log) && Files.readString(log).contains(text)) return;
                Thread.sleep(200);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no '" + text + "' in " + log + " within " + timeout);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops what this cluster started: drivers first, then workers (which stop their executors), then the master. */
    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
