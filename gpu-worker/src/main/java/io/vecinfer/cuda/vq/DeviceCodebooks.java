package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;

/** {@link FlatCodebooks} on the device, uploaded once per model and shared by every sequence; the layout is FlatCodebooks'. */
public final class DeviceCodebooks implements AutoCloseable {
    private final FlatCodebooks host;
    final DeviceBuffer keyWords;
    final DeviceBuffer valueWords;
    final DeviceBuffer keyBookOf;
    final DeviceBuffer valueBookOf;
    /** Null with smooth=off: the kernels read a null pointer as "no smoothing". */
    final DeviceBuffer lambda;

    public DeviceCodebooks(CudaDevice device, FlatCodebooks host) {
        this.host = host;
        keyWords = device.upload(host.keyWords());
        valueWords = device.upload(host.valueWords());
        keyBookOf = device.upload(host.keyBookOf());
        valueBookOf = device.upload(host.valueBookOf());
        lambda = host.lambda() == null ? null : device.upload(host.lambda());
    }

    public FlatCodebooks host() {
        return host;
    }

    /** Bytes of codebooks, book tables and λ on the device. */
    public long bytes() {
        return keyWords.bytes() + valueWords.bytes() + keyBookOf.bytes() + valueBookOf.bytes() + (lambda == null ? 0 : lambda.bytes());
    }

    @Override
    public void close() {
        keyWords.close();
        valueWords.close();
        keyBookOf.close();
        valueBookOf.close();
        if (lambda != null) lambda.close();
    }
}
