package io.vecinfer.eval.task;

import io.vecinfer.decoder.CpuBackend;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.vq.CodebookSet;

/**
 * The CPU backend under another name, for tests of what a runner does with a backend's answers (which cells it
 * supports, how many sequences fit): it decodes and caches as the CPU does and meters nothing.
 */
abstract class CpuStandInBackend implements ExecutionBackend<KvCache> {
    private final CpuBackend cpu = new CpuBackend();
    private final String name;

    CpuStandInBackend(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String device() {
        return cpu.device();
    }

    @Override
    public DecoderBackend<KvCache> decoder(Model model) {
        return cpu.decoder(model);
    }

    @Override
    public boolean supports(MethodSpec method, Prefill prefill) {
        return true;
    }

    @Override
    public KvCacheFactory caches(MethodSpec method, Model model, CodebookSet codebooks) {
        return cpu.caches(method, model, codebooks);
    }

    @Override
    public void resetPeakMemory() {
    }

    @Override
    public long peakMemoryBytes() {
        return 0;
    }

    @Override
    public void close() {
    }
}
