package com.mp3converter.systemtests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Debian's headless Chromium driven through Debian's chromium-driver, both named by path so Selenium downloads
 * nothing; a fresh profile each time, downloads into a folder of its own, and DevTools (CDP) commands for the
 * network conditions.
 */
final class Browser implements AutoCloseable {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final String AXE = "/axe-core-4.14.1/axe.min.js";

    final ChromeDriver driver;
    final Path downloads;

    Browser(Path dir) throws IOException {
        for (Path binary : List.of(CHROMIUM, DRIVER)) {
            if (!Files.isExecutable(binary)) {
                throw new IllegalStateException(binary + " is missing: install Debian's chromium and chromium-driver "
                        + "(./mp3converter test does)");
            }
        }
        Path profile = Files.createTempDirectory(dir, "chromium-profile-");
        downloads = Files.createTempDirectory(dir, "downloads-");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
        // without the background-networking switches Chromium reaches for the network, which this machine refuses
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1280,900", "--lang=en-GB");
        options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().withLogFile(Files.createTempFile(dir, "chromedriver-", ".log").toFile()).build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        driver.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow",
                "downloadPath", downloads.toString()));
        driver.executeCdpCommand("Network.enable", Map.of());
    }

    void open(String url) {
        driver.get(url);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    @SuppressWarnings("unchecked")
    <T> T script(String script, Object... args) {
        return (T) ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Waits for the condition; elements the page replaced while it was looked at are looked for again. */
    <T> T await(Duration timeout, String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(100)).withMessage(what)
                .ignoring(StaleElementReferenceException.class).until(condition);
    }

    /** Drops the files on the element as a person dragging them from a file manager would. */
    void drop(String targetCss, Path... files) {
        WebElement input = script("const input = document.createElement('input'); input.type = 'file';"
                + " input.multiple = true; document.body.append(input); return input;");
        input.sendKeys(String.join("\n", java.util.Arrays.stream(files).map(Path::toString).toList()));
        script("const [target, input] = arguments; const data = new DataTransfer();"
                + " for (const file of input.files) data.items.add(file);"
                + " for (const type of ['dragenter', 'dragover', 'drop'])"
                + "   target.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));"
                + " input.remove();", find(targetCss), input);
    }

    /**
     * DevTools network conditions: offline (the page sees navigator.onLine false and new requests fail) or not, and
     * uploads no faster than this many bytes a second (0: as fast as they go), as on a weak connection.
     */
    void network(boolean offline, long uploadBytesPerSecond) {
        driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", offline, "latency", 0,
                "downloadThroughput", -1, "uploadThroughput", uploadBytesPerSecond > 0 ? uploadBytesPerSecond : -1));
    }

    /** Presses Tab (Shift+Tab backwards) until the element matching css has the focus; fails after `most` presses. */
    WebElement tabTo(String css, boolean backwards, int most) {
        WebElement target = find(css);
        for (int i = 0; i < most; i++) {
            if (target.equals(driver.switchTo().activeElement())) {
                assertThat(css + " shows that it has the focus", visibleFocus(target), is(true));
                return target;
            }
            Actions press = new Actions(driver);
            (backwards ? press.keyDown(Keys.SHIFT).sendKeys(Keys.TAB).keyUp(Keys.SHIFT) : press.sendKeys(Keys.TAB)).perform();
        }
        throw new AssertionError(css + " was not reached with " + most + " presses of Tab; the focus is on "
                + script("return document.activeElement.outerHTML.slice(0, 200)"));
    }

    void press(CharSequence... keys) {
        new Actions(driver).sendKeys(keys).perform();
    }

    private boolean visibleFocus(WebElement element) {
        return script("const style = getComputedStyle(arguments[0]);"
                + " return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none'"
                + "   || arguments[0].type === 'file';", element);
    }

    /** axe-core's violations of impact serious or critical, as "rule: help (elements)"; the rest printed only. */
    List<String> accessibilityViolations(String where) {
        script(resource(AXE));
        String result = (String) ((JavascriptExecutor) driver).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " axe.run(document, {resultTypes: ['violations']})"
                + "  .then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                + "     nodes: v.nodes.map(n => n.target.join(' '))})))))"
                + "  .catch(e => done('axe failed: ' + e));");
        if (result.startsWith("axe failed")) {
            throw new AssertionError(result);
        }
        List<String> serious = new ArrayList<>();
        try {
            for (var violation : com.mp3converter.common.http.Json.MAPPER.readTree(result)) {
                String line = violation.get("id").asText() + " (" + violation.get("impact").asText() + "): "
                        + violation.get("help").asText() + " " + violation.get("nodes");
                System.out.println("axe at " + where + ": " + line);
                if (List.of("serious", "critical").contains(violation.get("impact").asText())) {
                    serious.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return serious;
    }

    /** Lays the page out as on a screen this wide (a phone's below 600 px); 0 for the window's own width. */
    void width(int width) {
        if (width == 0) {
            driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        } else {
            driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", 800,
                    "deviceScaleFactor", 1, "mobile", width < 600));
        }
    }

    /** The whole page, top to bottom, laid out this wide, as a PNG. */
    void screenshot(int width, Path file) throws IOException {
        width(width);
        script("window.scrollTo(0, 0); document.activeElement.blur()");
        long height = script("return document.documentElement.scrollHeight");
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
                "captureBeyondViewport", true, "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
        Files.createDirectories(file.getParent());
        Files.write(file, java.util.Base64.getDecoder().decode((String) shot.get("data")));
        width(0);
    }

    /** What the page wrote to the console at level WARNING or above since the last call (CSP reports, errors). */
    List<String> consoleProblems() {
        List<String> problems = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
            if (entry.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                problems.add(entry.getLevel() + " " + entry.getMessage());
            }
        }
        return problems;
    }

    /** Waits for a finished download of this name (Chromium writes .crdownload until it is whole). */
    Path awaitDownload(String name, Duration timeout) throws InterruptedException {
        Path file = downloads.resolve(name);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(file) && !Files.exists(downloads.resolve(name + ".crdownload"))) {
                return file;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " was not downloaded within " + timeout + "; the folder holds "
                + java.util.Arrays.toString(downloads.toFile().list()));
    }

    private static String resource(String name) {
        try (InputStream in = Browser.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}
