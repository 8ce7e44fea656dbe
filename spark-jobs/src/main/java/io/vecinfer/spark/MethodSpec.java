package io.vecinfer.spark;

import io.vecinfer.quant.DenseSpec;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.VqSpec;

/**
 * The report columns of a KV-cache method (family, key config, value config, residual window, codebook
 * scope), read off the worker's own parser, so a sweep is validated by exactly the code that runs it.
 */
public record MethodSpec(String family, String keyConfig, String valueConfig, Integer residualWindow, String codebookScope) {

    public static MethodSpec parse(String spec) {
        io.vecinfer.quant.MethodSpec parsed = io.vecinfer.quant.MethodSpec.parse(spec);
        if (parsed instanceof VqSpec vq) {
            return new MethodSpec(vq.method().label(), vq.keys().toString(), vq.values().toString(), vq.window(),
                    vq.scope().label());
        }
        if (parsed instanceof KiviSpec kivi) {
            return new MethodSpec("kivi", kivi.keys().toString(), kivi.values().toString(), kivi.window(), null);
        }
        String dense = ((DenseSpec) parsed).spec();
        return new MethodSpec(dense, dense, dense, null, null);
    }
}
