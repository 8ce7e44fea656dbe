package io.vecinfer.spark.report;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Debian's headless Chromium and its chromedriver (packages chromium and chromium-driver, which .ci/run
 * installs), driven through Selenium. Where they are not installed, a test using them is skipped saying so;
 * in CI (CI=true) it fails instead, since there they must be.
 */
final class Chromium {
    static final Path BROWSER = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));

    private Chromium() {
    }

    static ChromeDriver start(int width, int height) {
        if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
            String reason = "Chromium is not installed (" + BROWSER + ", " + DRIVER + "): apt-get install chromium chromium-driver";
            if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(reason + "; .ci/run installs them");
            Assumptions.abort(reason);
        }
        ChromeOptions options = new ChromeOptions().setBinary(BROWSER.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=" + width + "," + height, "--force-device-scale-factor=1");
        // The page's console, read back through the driver's log endpoint.
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .withLogFile(new File("target/chromedriver.log")).build();
        return new ChromeDriver(service, options);
    }
}
