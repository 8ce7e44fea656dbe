package io.vecinfer.cuda.decoder;

import io.vecinfer.decoder.CpuBackend;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.kvcache.KvCache;
import org.junit.jupiter.api.Test;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract between decoders and caches is a type: a decoder is a {@code DecoderBackend<C>} of the caches it attends,
 * a backend makes decoder and caches of one {@code C}, so a heap cache never reaches the CUDA decoder, nor a device
 * cache the CPU decoder. Checked where it holds, at compile time: snippets that pair them are compiled against this
 * build's classes, and the wrong pairings must not compile (the right ones must, or the check proves nothing). No GPU.
 */
class DecoderCacheContractTest {
    private static final String IMPORTS = """
            import io.vecinfer.cuda.decoder.*;
            import io.vecinfer.decoder.*;
            import io.vecinfer.kvcache.*;
            import io.vecinfer.model.Model;
            import io.vecinfer.quant.MethodSpec;
            import java.util.List;
            """;
    /** What each snippet's body may use: both decoders, both backends, a factory of each kind. */
    private static final String PARAMETERS = "CudaDecoder gpu, Decoder cpu, CudaBackend cuda, CpuBackend host, Model model, MethodSpec method,"
            + " CacheFactory<DeviceKvCache> device, KvCacheFactory heap, KvLayout layout";

    @Test
    void eachDecoderTakesItsOwnBackendsCaches() {
        assertCompiles("""
                gpu.forwardLast(List.of(new Sequence<>(device.create(layout))), List.of(new int[]{1}));
                cpu.forwardLast(List.of(new Sequence<>(heap.create(layout))), List.of(new int[]{1}));
                DecoderBackend<DeviceKvCache> onGpu = cuda.decoder(model);
                onGpu.forwardAll(List.of(new Sequence<>(cuda.caches(method, model, null).create(layout))), List.of(new int[]{1}));
                DecoderBackend<KvCache> onCpu = host.decoder(model);
                onCpu.forwardAll(List.of(new Sequence<>(host.caches(method, model, null).create(layout))), List.of(new int[]{1}));
                """);
    }

    @Test
    void aCpuCacheDoesNotCompileIntoTheCudaDecoder() {
        assertRefused("gpu.forwardLast(List.of(new Sequence<>(heap.create(layout))), List.of(new int[]{1}));");
        assertRefused("gpu.greedyLast(List.of(new Sequence<>(host.caches(method, model, null).create(layout))), List.of(new int[]{1}));");
        assertRefused("cuda.decoder(model).scoreAll(List.of(new Sequence<>(heap.create(layout))), List.of(new int[]{1}), List.of(new int[]{2}));");
        assertRefused("Sequence<DeviceKvCache> s = new Sequence<>(heap.create(layout));");
    }

    @Test
    void aDeviceCacheDoesNotCompileIntoTheCpuDecoder() {
        assertRefused("cpu.forwardLast(List.of(new Sequence<>(device.create(layout))), List.of(new int[]{1}));");
        assertRefused("host.decoder(model).forwardAll(List.of(new Sequence<>(cuda.caches(method, model, null).create(layout))), List.of(new int[]{1}));");
        assertRefused("KvCache c = device.create(layout);");
    }

    @Test
    void comparedSequencesAreOfOneBackend() {
        assertRefused("""
                gpu.compareAll(List.of(new Sequence<>(device.create(layout))), List.of(new Sequence<>(heap.create(layout))), List.of(new int[]{1}));
                """);
    }

    /** The same, as the classes declare it: each backend's decoder and caches are of its one cache type. */
    @Test
    void eachBackendNamesOneCacheTypeForItsDecoderAndCaches() {
        assertEquals(DeviceKvCache.class, cacheType(CudaBackend.class, ExecutionBackend.class));
        assertEquals(DeviceKvCache.class, cacheType(CudaDecoder.class, DecoderBackend.class));
        assertEquals(KvCache.class, cacheType(CpuBackend.class, ExecutionBackend.class));
        assertEquals(KvCache.class, cacheType(Decoder.class, DecoderBackend.class));
        assertFalse(KvCache.class.isAssignableFrom(DeviceKvCache.class), "a device cache has no host append/attend");
    }

    private static Type cacheType(Class<?> type, Class<?> contract) {
        for (Type t : type.getGenericInterfaces()) {
            if (t instanceof ParameterizedType p && p.getRawType() == contract) return p.getActualTypeArguments()[0];
        }
        throw new AssertionError(type.getSimpleName() + " does not implement " + contract.getSimpleName());
    }

    private static void assertCompiles(String body) {
        List<CompileProbe.Error> errors = compile(body);
        assertTrue(errors.isEmpty(), "should compile:\n" + body + "\n" + errors);
    }

    /** Must fail for the types alone: an argument or assignment of the wrong cache type, no missing class or symbol. */
    private static void assertRefused(String body) {
        List<CompileProbe.Error> errors = compile(body);
        assertFalse(errors.isEmpty(), "should not compile:\n" + body);
        for (CompileProbe.Error e : errors) {
            assertTrue(List.of("compiler.err.cant.apply.symbol", "compiler.err.prob.found.req", "compiler.err.cant.apply.diamond.1").contains(e.code()),
                    "refused for another reason than the cache type:\n" + body + "\n" + errors);
            assertTrue(e.message().contains("KvCache"), "the error names the cache types:\n" + e);
        }
    }

    private static List<CompileProbe.Error> compile(String body) {
        // The GPU machine runs the tests on a jlink'd JRE without the compiler; the build that compiles them has one.
        assumeTrue(compilerPresent(), "no Java compiler in this runtime: the compile-time checks run where the build runs");
        return CompileProbe.errors(IMPORTS + "class Probe {\n    static void probe(" + PARAMETERS + ") {\n" + body + "\n    }\n}\n");
    }

    static boolean compilerPresent() {
        return ModuleLayer.boot().findModule("jdk.compiler").isPresent();
    }
}
