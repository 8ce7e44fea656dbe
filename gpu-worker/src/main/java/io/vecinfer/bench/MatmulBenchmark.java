package io.vecinfer.bench;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.TensorMaps;
import io.vecinfer.cuda.ops.Activation;
import io.vecinfer.cuda.ops.DeviceMatrix;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.Half;
import io.vecinfer.tensor.WeightMatrix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The decoder's projections on Llama-3.1-8B shapes (stacked q|k|v, o, stacked gate|up, down, lm_head; bf16
 * weights), at decode row counts (1, 8, 32: the skinny kernel) and prefill ones (512, the chunk the decoder runs,
 * 2048 and 4096: gemm), in the decoder's default TENSOR_CORES precision. Above the skinny kernel's rows every
 * tensor-core gemm the device can run is timed by name, each its own row: GEMM (matmul_tc.cu) everywhere, WGMMA,
 * WGMMA_MEDIUM and WGMMA_NARROW (matmul_wgmma.cu, 256-, 192- and 128-column tiles) on sm_90, each with cp.async and
 * (where tensor maps can be encoded) TMA loads ("loads"), a CTA per tile or a persistent grid ("grid"): the first kernel
 * (cp.async, a CTA per tile), TMA a CTA per tile, and Matmul's default; "chosen" marks the path and variant Matmul picks by itself. Each gate_up row
 * is followed by a gate_up_swiglu row: the same product as the decoder launches it ({@link Matmul#swiGlu}: SwiGLU in
 * the WGMMA epilogue into bf16, or the fp32 product and a pass after). Median CUDA-event time of one launch (the fp32-to-16-bit conversion of x included) after warm-up, weights
 * rotated over copies that together exceed L2 several times, so HBM serves them as in a real forward pass. Prints JSON rows with TFLOP/s and weight GB/s; its peer is gpu-worker/scripts/matmul_peer.py
 * (torch.matmul on the same shapes), run in the same call.
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.MatmulBenchmark [--rows 1,8,32,512,2048,4096] [--runs 30] [--burst 1]
 * </pre>
 */
public final class MatmulBenchmark {
    /** name, out (N), in (K) of the 8B's projections as the decoder launches them. */
    static final Object[][] SHAPES = {{"qkv", 6144, 4096}, {"o", 4096, 4096}, {"gate_up", 28672, 4096}, {"down", 4096, 14336},
            {"lm_head", 128256, 4096}};
    private static final long ROTATION_BYTES = 400L << 20; // 8× the H200's 50 MB L2
    private static final int WARMUP = 5;

    public static void main(String[] args) {
        int[] rowCounts = {1, 8, 32, 512, 2048, 4096};
        int runs = 30;
        // Launches between one pair of events (--burst, default 1), the time divided by them: past the first, a launch is
        // issued while the one before it runs, so the host's issue time between the start event and the kernels (about
        // 0.1 ms a launch on the H200 in session 13, ncu's kernel durations against these times) stops counting.
        int burst = 1;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--rows" -> rowCounts = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--runs" -> runs = Math.max(10, Integer.parseInt(args[i + 1]));
                case "--burst" -> burst = Math.max(1, Integer.parseInt(args[i + 1]));
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--rows A,B, --runs N, --burst N)");
            }
        }
        SplittableRandom random = new SplittableRandom(20261201L);
        List<String> rows = new ArrayList<>();
        String deviceName;
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device);
             Matmul matmul = new Matmul(device, Matmul.Precision.TENSOR_CORES);
             Matmul firstKernel = new Matmul(device, Matmul.Precision.TENSOR_CORES, Matmul.WgmmaLoads.CP_ASYNC, Matmul.WgmmaGrid.CTA_PER_TILE);
             Matmul tmaPerTile = TensorMaps.unavailableReason().isEmpty()
                     ? new Matmul(device, Matmul.Precision.TENSOR_CORES, Matmul.WgmmaLoads.TMA, Matmul.WgmmaGrid.CTA_PER_TILE) : null) {
            deviceName = device.name();
            System.err.println("WGMMA chosen: " + matmul.wgmmaLoads() + " " + matmul.wgmmaGrid() + TensorMaps.unavailableReason().map(r -> " (" + r + ")").orElse(""));
            // The WGMMA variants timed: the first kernel (cp.async, a CTA per tile), TMA a CTA per tile, and the default
            // where it is neither.
            List<Matmul> wgmmaVariants = new ArrayList<>(List.of(firstKernel));
            if (tmaPerTile != null) wgmmaVariants.add(tmaPerTile);
            if (wgmmaVariants.stream().noneMatch(m -> sameVariant(m, matmul))) wgmmaVariants.add(matmul);
            for (Object[] shape : SHAPES) {
                String name = (String) shape[0];
                int out = (int) shape[1], in = (int) shape[2];
                long weightBytes = (long) out * in * 2;
                int copies = (int) Math.max(1, Math.min(8, (ROTATION_BYTES + weightBytes - 1) / weightBytes));
                List<DeviceMatrix> weights = new ArrayList<>();
                try {
                    for (int c = 0; c < copies; c++) weights.add(randomBf16(device, out, in, random));
                    for (int r : rowCounts) {
                        try (DeviceBuffer x = device.upload(BenchRandom.gaussians(random, r * in)); DeviceBuffer y = device.allocate(4L * r * out)) {
                            Matmul.Outputs outputs = Matmul.Outputs.of(y.from(0), out);
                            Matmul.Path chosen = matmul.path(weights.get(0), x.from(0), r, outputs);
                            List<Matmul.Path> paths = chosen == Matmul.Path.SKINNY || chosen == Matmul.Path.CUDA_CORES
                                    ? List.of(chosen) : List.of(Matmul.Path.GEMM, Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW);
                            for (Matmul.Path path : paths) {
                                if (!matmul.canRun(path, weights.get(0), x.from(0), r, outputs)) continue;
                                boolean wgmma = path.wgmma();
                                for (Matmul m : wgmma ? wgmmaVariants : List.of(matmul)) {
                                    float[] times = times(timer, runs, burst, i -> m.launch(weights.get(i % copies), x.from(0), r, null, outputs, path));
                                    rows.add(row(name, r, out, in, path, m, wgmma, path == chosen && sameVariant(m, matmul), times, weightBytes));
                                    System.err.println(rows.get(rows.size() - 1));
                                    if (name.equals("gate_up")) {
                                        // As the decoder launches it: SwiGLU of the product into the down projection's input (bf16 where
                                        // that is read as it is), in the WGMMA epilogue where Matmul.swiGlu can, else by a pass after.
                                        // The weights are not interleaved here: the time does not depend on the values.
                                        DType hType = Matmul.inputType(path, DType.BF16);
                                        try (DeviceBuffer h = device.allocate((long) r * (out / 2) * hType.bytes)) {
                                            Activation activated = Activation.of(h, hType), input = Activation.f32(x.from(0));
                                            float[] swiGlu = times(timer, runs, burst, i -> m.swiGlu(weights.get(i % copies), input, r, y.from(0), activated, path));
                                            rows.add(row("gate_up_swiglu", r, out, in, path, m, wgmma, path == chosen && sameVariant(m, matmul), swiGlu, weightBytes));
                                            System.err.println(rows.get(rows.size() - 1));
                                        }
                                    }
                                }
                            }
                        }
                    }
                } finally {
                    weights.forEach(DeviceMatrix::close);
                }
            }
        }
        System.out.println("{\"benchmark\": \"projections, Llama-3.1-8B shapes, bf16 weights, TENSOR_CORES\", \"device\": \"" + deviceName
                + "\", \"runs\": " + runs + ", \"burst\": " + burst + ", \"rows\": [\n  " + String.join(",\n  ", rows) + "\n]}");
    }

    /** Sorted CUDA-event times of {@code runs} bursts ({@code burst} launches each, per launch) after {@link #WARMUP} more; launch n is {@code launch.accept(n)}. */
    private static float[] times(CudaTimer timer, int runs, int burst, java.util.function.IntConsumer launch) {
        float[] times = new float[runs];
        for (int i = 0, n = 0; i < WARMUP + runs; i++) {
            timer.start();
            for (int b = 0; b < burst; b++) launch.accept(n++);
            float ms = timer.stopMillis() / burst;
            if (i >= WARMUP) times[i - WARMUP] = ms;
        }
        Arrays.sort(times);
        return times;
    }

    /** One JSON row: the median and the fastest of {@code times} (sorted), with TFLOP/s and weight GB/s. */
    private static String row(String name, int r, int out, int in, Matmul.Path path, Matmul m, boolean wgmma, boolean chosen, float[] times,
                              long weightBytes) {
        double median = times[times.length / 2], flops = 2.0 * r * out * in;
        return String.format(Locale.ROOT, "{\"name\": \"%s\", \"rows\": %d, \"out\": %d, \"in\": %d, \"path\": \"%s\","
                        + " \"loads\": \"%s\", \"grid\": \"%s\", \"chosen\": %b, \"median_ms\": %.4f, \"min_ms\": %.4f, \"tflops\": %.1f, \"weight_gb_per_s\": %.0f}",
                name, r, out, in, path, wgmma ? m.wgmmaLoads() : "-", wgmma ? m.wgmmaGrid() : "-", chosen, median, times[0],
                flops / median / 1e9, weightBytes / median / 1e6);
    }

    /** Whether a and b run the same WGMMA kernels: the default's row is marked chosen whichever instance timed it. */
    private static boolean sameVariant(Matmul a, Matmul b) {
        return a.wgmmaLoads() == b.wgmmaLoads() && a.wgmmaGrid() == b.wgmmaGrid();
    }

    /** A random bf16 matrix on the device: one 32 MB block of N(0, 0.02²) values, repeated to fill it (the time does not depend on the values, only on their not being zeros). */
    private static DeviceMatrix randomBf16(CudaDevice device, int rows, int cols, SplittableRandom random) {
        long bytes = (long) rows * cols * 2;
        int block = (int) Math.min(bytes, 32L << 20);
        ByteBuffer b = ByteBuffer.allocateDirect(block).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 2) b.putShort(Half.floatToBf16((float) (BenchRandom.gaussian(random) * 0.02)));
        b.flip();
        DeviceBuffer data = device.allocate(bytes);
        for (long at = 0; at < bytes; at += block) data.write(b.duplicate().limit((int) Math.min(block, bytes - at)), at);
        return new DeviceMatrix(data, DType.BF16, rows, cols);
    }


}
