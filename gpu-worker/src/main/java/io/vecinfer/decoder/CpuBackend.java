package io.vecinfer.decoder;

import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.AttentionPath;
import io.vecinfer.quant.KvCacheFactories;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.vq.CodebookSet;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/** The pure-Java backend: the oracle, and what runs where no GPU is assigned. It supports every method under either prefill. */
public final class CpuBackend implements ExecutionBackend<KvCache> {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String device() {
        return "cpu:" + Runtime.getRuntime().availableProcessors() + "-cores";
    }

    @Override
    public Decoder decoder(Model model) {
        return new Decoder(model);
    }

    @Override
    public boolean supports(MethodSpec method, Prefill prefill) {
        return true;
    }

    @Override
    public KvCacheFactory caches(MethodSpec method, Model model, CodebookSet codebooks) {
        return KvCacheFactories.of(method, codebooks, AttentionPath.LOOKUP_TABLE);
    }

    /**
     * One: the CPU decoder already spreads a single sequence's projections over every core, and the heap is
     * not metered ahead of a batch, so a bigger auto batch would buy little speed for a risk of running out of heap.
     */
    @Override
    public int sequencesThatFit(Model model, MethodSpec method, int tokens, String cell) {
        return 1;
    }

    /** The heap's peaks are reset pool by pool, so a batch's peak is its own, not the JVM's lifetime peak. */
    @Override
    public void resetPeakMemory() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) pool.resetPeakUsage();
        }
    }

    @Override
    public long peakMemoryBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        return peak;
    }

    @Override
    public void close() {
    }
}
