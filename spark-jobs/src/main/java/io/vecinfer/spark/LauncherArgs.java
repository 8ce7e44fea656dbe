package io.vecinfer.spark;

import java.nio.file.Path;

/** Command-line arguments shared by the launchers: {@code SWEEP_FILE [--output DIR]}. */
final class LauncherArgs {
    private LauncherArgs() {
    }

    static SweepFile sweep(String[] args, String mainClass) {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--output"))) {
            System.err.println("usage: " + mainClass + " SWEEP_FILE [--output DIR]");
            System.exit(2);
        }
        SweepFile sweep = SweepFile.read(Path.of(args[0]));
        return args.length == 3 ? sweep.withOutput(args[2]) : sweep;
    }
}
