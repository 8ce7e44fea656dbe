package io.vecinfer.cuda.decoder;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles one source file against this build's classes and returns its errors. It needs a JDK's compiler: callers
 * check {@link DecoderCacheContractTest#compilerPresent} first and do not load this class without one (the GPU
 * machine's jlink'd JRE has no java.compiler module, so this class would not even link there).
 */
final class CompileProbe {
    /** One compile error: its line, javac's diagnostic code (e.g. {@code compiler.err.prob.found.req}), its message. */
    record Error(long line, String code, String message) {
        @Override
        public String toString() {
            return "line " + line + " [" + code + "] " + message;
        }
    }

    private CompileProbe() {
    }

    /** The errors of compiling {@code source}, a file whose public-or-not class is {@code Probe}. */
    static List<Error> errors(String source) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Probe.java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try {
            Path out = Files.createTempDirectory("compile-probe");
            List<String> options = List.of("-classpath", classpath(), "-d", out.toString(), "-proc:none", "-Xlint:none");
            javac.getTask(null, null, diagnostics, options, null, List.of(file)).call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Error> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) errors.add(new Error(d.getLineNumber(), d.getCode(), d.getMessage(null)));
        }
        return errors;
    }

    /** This build's classes and the JCuda jar their signatures name, beside whatever the test JVM was started with. */
    private static String classpath() {
        List<String> entries = new ArrayList<>();
        for (Class<?> c : List.of(CudaDecoder.class, jcuda.Pointer.class)) {
            try {
                entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        entries.add(System.getProperty("java.class.path"));
        return String.join(File.pathSeparator, entries);
    }
}
