package io.vecinfer.bench;

import java.util.Arrays;

/** Command-line values the kernel benchmarks share. */
final class BenchArgs {
    private BenchArgs() {
    }

    /** A comma-separated list of whole numbers ("1,8,32"), as --batches and --contexts take them. */
    static int[] ints(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
