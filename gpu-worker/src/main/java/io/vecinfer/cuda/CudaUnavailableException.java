package io.vecinfer.cuda;

/** The CUDA backend cannot run here: no driver, no device, or a jar built without kernels. The message says which and what to do. */
public final class CudaUnavailableException extends IllegalStateException {
    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
