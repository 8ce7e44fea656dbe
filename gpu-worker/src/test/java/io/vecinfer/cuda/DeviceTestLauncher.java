package io.vecinfer.cuda;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.engine.TestExecutionResult;

import java.io.PrintWriter;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs the tests of the given packages or classes (a name whose last part starts with a capital) with the JUnit
 * launcher, for the GPU machine, which has a JRE but no Maven:
 * {@code java -cp ... io.vecinfer.cuda.DeviceTestLauncher io.vecinfer.cuda io.vecinfer.bench.SomeTest}. Prints one line
 * per test (passed, failed with its message, or skipped with its reason) and exits 1 on any failure.
 */
public final class DeviceTestLauncher {
    public static void main(String[] packages) {
        var request = LauncherDiscoveryRequestBuilder.request();
        for (String p : packages) request.selectors(p.matches(".*\\.[A-Z]\\w*") ? selectClass(p) : selectPackage(p));
        LauncherDiscoveryRequest discovery = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier id) {
                if (id.isTest()) System.out.println("STARTED " + id.getUniqueId()); // so a hang names its test
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("SKIPPED " + id.getLegacyReportingName() + " " + id.getUniqueId() + ": " + reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) return;
                String where = id.getUniqueId().replaceAll(".*\\[class:([^\\]]*)\\].*\\[method:([^\\]]*)\\].*", "$1#$2");
                System.out.println(result.getStatus() + " " + where
                        + result.getThrowable().map(t -> ": " + t).orElse(""));
            }
        };
        launcher.execute(discovery, summary, lines);
        summary.getSummary().printTo(new PrintWriter(System.out));
        summary.getSummary().printFailuresTo(new PrintWriter(System.out), 20);
        System.exit(summary.getSummary().getTotalFailureCount() == 0 ? 0 : 1);
    }
}
