package io.vecinfer.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A checkpoint larger than the test JVM's heap opens and reads: tensors are mapped, never copied. */
class LargeCheckpointTest {

    @Test
    void anEightGigabyteFileOpensWithoutTouchingTheHeap(@TempDir Path tmp) throws Exception {
        int tensors = 5;
        long rows = 24_576, cols = 32_768; // 1.5 GiB of bf16 each, 7.5 GiB in all (the heap is 6 GiB)
        long bytes = rows * cols * 2;
        StringBuilder header = new StringBuilder("{");
        for (int t = 0; t < tensors; t++) {
            header.append(t == 0 ? "" : ",").append("\"w").append(t).append("\":{\"dtype\":\"BF16\",\"shape\":[")
                    .append(rows).append(',').append(cols).append("],\"data_offsets\":[").append(t * bytes).append(',')
                    .append((t + 1) * bytes).append("]}");
        }
        byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            raf.write(json);
            raf.setLength(8 + json.length + tensors * bytes); // sparse: no data blocks are written
            raf.seek(8 + json.length + 4 * bytes + bytes - 2);
            raf.write(new byte[]{(byte) 0x80, 0x3f}); // the last element of w4 is bf16 1.0
        }
        long heapBefore = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            assertEquals(tensors, f.tensors().size());
            for (int t = 0; t < tensors; t++) assertEquals(bytes, f.map("w" + t).capacity());
            ByteBuffer last = f.map("w4");
            assertEquals(0x3f80, last.getShort((int) (bytes - 2)) & 0xffff);
        }
        long heapGrowth = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory() - heapBefore;
        assertTrue(heapGrowth < 256L << 20, "heap grew by " + heapGrowth + " bytes");
    }
}
