package io.vecinfer.cuda;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/** One kernel family: the fatbin that nvcc built from gpu-worker/src/main/cuda/FAMILY.cu at build time. */
public final class CudaModule {
    private final CudaDevice device;
    private final String family;
    private final CUmodule module;
    private final Map<String, CudaKernel> kernels = new HashMap<>();

    private CudaModule(CudaDevice device, String family, CUmodule module) {
        this.device = device;
        this.family = family;
        this.module = module;
    }

    static CudaModule load(CudaDevice device, String family) {
        String resource = "/cuda/" + family + ".fatbin";
        byte[] image;
        try (InputStream in = CudaModule.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CudaUnavailableException("this gpu-worker jar has no CUDA kernels (resource " + resource + " is missing):"
                        + " nvcc was not on PATH when it was built. Rebuild with nvcc 12.x/13.x on PATH (or NVCC=/path/to/nvcc),"
                        + " or run on the CPU backend");
            }
            image = in.readAllBytes();
        } catch (IOException e) {
            throw new CudaUnavailableException("cannot read " + resource + ": " + e.getMessage(), e);
        }
        CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, image);
        return new CudaModule(device, family, module);
    }

    /** The {@code extern "C"} kernel of that name. */
    public synchronized CudaKernel kernel(String name) {
        return kernels.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(f, module, n);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("kernel family '" + family + "' has no kernel '" + n + "'", e);
            }
            return new CudaKernel(device, family + "." + n, f);
        });
    }

    void unload() {
        JCudaDriver.cuModuleUnload(module);
    }
}
