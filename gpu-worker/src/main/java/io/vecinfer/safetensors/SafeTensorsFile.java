package io.vecinfer.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file, opened by reading its header only: tensors are memory-mapped on demand, so a
 * checkpoint far larger than the heap can be opened. Every inconsistency is reported with the file
 * and tensor it concerns, before any tensor is used.
 */
public final class SafeTensorsFile implements AutoCloseable {
    private static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafeTensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafeTensorsException(path + ": file not found");
        } catch (IOException e) {
            throw new SafeTensorsException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return parse(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafeTensorsFile parse(Path path, FileChannel channel) {
        try {
            long size = channel.size();
            if (size < 8) throw new SafeTensorsException(path + ": truncated: " + size + " bytes, no header length");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, len, 0);
            long headerLength = len.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
                throw new SafeTensorsException(path + ": corrupt or truncated: header length " + headerLength
                        + " in a file of " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new SafeTensorsException(path + ": corrupt header: not JSON (" + e.getOriginalMessage() + ")");
            }
            if (root == null || !root.isObject()) throw new SafeTensorsException(path + ": corrupt header: not a JSON object");
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                } else {
                    tensors.put(e.getKey(), tensorInfo(path, e.getKey(), e.getValue(), dataSize));
                }
            }
            return new SafeTensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new SafeTensorsException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static TensorInfo tensorInfo(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor '" + name + "'";
        JsonNode offsets = node.get("data_offsets");
        JsonNode shapeNode = node.get("shape");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || shapeNode == null || !shapeNode.isArray()) {
            throw new SafeTensorsException(where + ": corrupt header entry (needs dtype, shape, data_offsets)");
        }
        DType dtype = DType.parse(node.path("dtype").asText(null), where);
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) throw new SafeTensorsException(where + ": negative dimension in shape " + shapeNode);
            elements *= shape[i];
        }
        long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin) throw new SafeTensorsException(where + ": corrupt data_offsets " + offsets);
        if (end - begin != elements * dtype.bytes) {
            throw new SafeTensorsException(where + ": " + (end - begin) + " bytes do not hold shape " + shapeNode
                    + " of " + dtype + " (" + elements * dtype.bytes + " bytes)");
        }
        if (end > dataSize) {
            throw new SafeTensorsException(where + ": truncated file: data ends at byte " + end
                    + " but the file holds " + dataSize + " data bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) throw new IOException("unexpected end of file");
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) throw new SafeTensorsException(path + ": no tensor '" + name + "'");
        return info;
    }

    /** The tensor's bytes, memory-mapped read-only, little-endian. */
    public ByteBuffer map(String name) {
        TensorInfo info = info(name);
        long length = info.end() - info.begin();
        if (length > Integer.MAX_VALUE) {
            throw new SafeTensorsException(path + ": tensor '" + name + "' is over 2 GiB, more than one mapping holds");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SafeTensorsException(path + ": cannot map tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** The tensor converted to float32 on the heap: for small tensors (norms, biases, codebooks). */
    public float[] readFloats(String name) {
        return Floats.toFloatArray(info(name), map(name), path);
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written through it
        }
    }
}
