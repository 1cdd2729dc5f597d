package com.mp3converter.systemtests;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.TcpProxy;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * The web page at {@code GET /} as a person uses it, in Debian's headless Chromium against the four jars: sign up,
 * drop a video, watch it convert live, download the MP3; a network cut and a reload in the middle of an upload; a
 * file that is not a video; a second user; everything by keyboard; axe-core's accessibility rules; screenshots at
 * 360 and 1280 px (target/web-page/); the page's weight.
 */
class WebPageIT {
    private static final Duration CONVERTED = Duration.ofSeconds(90);
    private static final Path OUTPUT = Path.of(System.getProperty("basedir", "."), "target", "web-page");
    private static final String TUS = "1.0.0";
    /** Bytes a second: a weak connection's upload, so a 1 MB video takes seven seconds and can be cut. */
    private static final long SLOW = 150_000;
    private static Platform platform;
    private final List<Browser> browsers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        platform = Platform.start();
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @AfterEach
    void closeBrowsers() {
        List<String> problems = new ArrayList<>();
        for (Browser browser : browsers) {
            try {
                problems.addAll(browser.consoleProblems());
            } finally {
                browser.close();
            }
        }
        assertThat("nothing the page did was blocked by its Content-Security-Policy", problems,
                not(hasItem(containsString("Content Security Policy"))));
        assertThat("no script error", problems.stream().filter(p -> p.contains("Uncaught")).toList(), empty());
    }

    @Test
    void signUpDropAVideoWatchItConvertLiveAndDownloadTheMp3() throws Exception {
        Browser browser = browser();
        browser.open(page());
        assertThat(browser.driver.getTitle(), containsString("mp3converter"));
        assertThat(browser.accessibilityViolations("signed out"), empty());

        browser.find("#sign-in button[type=submit]").click();
        WebElement summary = browser.find("#sign-in .error-summary");
        assertThat("the error summary takes the focus", browser.driver.switchTo().activeElement(), is(summary));
        assertThat(summary.getText(), containsString("Enter your e-mail address"));
        assertThat(browser.find("#sign-in-email-error").getText(), containsString("Enter your e-mail address"));
        assertThat(browser.accessibilityViolations("sign-in errors"), empty());

        String email = "page-" + com.mp3converter.common.testing.LocalServers.unique() + "@example.com";
        signUp(browser, email);
        assertThat(browser.find("#signed-in-as").getText(), is(email));
        assertThat("nothing can be added before the address is confirmed", browser.find("#add").isDisplayed(), is(false));
        assertThat(browser.find("#verify-notice").getText(), containsString(email));
        assertThat(browser.accessibilityViolations("signed up, address not confirmed"), empty());
        Browser phone = browser(); // the mailed link, opened elsewhere
        phone.open(page() + "#verify=" + Platform.verificationToken(email));
        phone.await(Duration.ofSeconds(10), "the link confirmed", d -> phone.find("#account-message").getText()
                .contains("Your e-mail address is confirmed"));
        assertThat("the token left the address at once", phone.driver.getCurrentUrl(), not(containsString("verify")));
        browser.await(Duration.ofSeconds(15), "the first tab sees it", d -> browser.find("#add").isDisplayed());
        assertThat(browser.find("#verify-notice").isDisplayed(), is(false));
        assertThat(browser.find("#retention").getText(), containsString("kept for 7 days"));
        assertThat("the token is never in a cookie", browser.<String>script("return document.cookie"), is(""));

        browser.script("window.seenStates = [];"
                + " new MutationObserver(changes => changes.forEach(c => c.target.matches('li.job')"
                + "   && window.seenStates.push(c.target.dataset.state)))"
                + "   .observe(document.getElementById('jobs'), {subtree: true, attributeFilter: ['data-state']});");
        Path video = TestMedia.path(Sample.MP4_H264_AAC);
        browser.drop("#drop-zone", video);
        WebElement job = awaitJob(browser, video.getFileName().toString(), "DONE", CONVERTED);
        browser.await(Duration.ofSeconds(5), "the change announced to screen readers",
                d -> browser.find("#announcer").getText().contains(video.getFileName() + " is converted"));
        List<String> seen = browser.script("return window.seenStates");
        assertThat("the row went from waiting or converting to done by the live events, without a reload: " + seen,
                seen.getLast(), is("DONE"));
        assertThat(seen.size(), greaterThan(1));
        assertThat(job.getText(), containsString("Done"));
        assertThat(job.getText(), containsString("192 kb/s"));
        assertThat(job.getText(), containsString("Kept until"));

        job.findElement(By.cssSelector(".actions .button")).click();
        Path mp3 = browser.awaitDownload("mp4-h264-aac-stereo-48k-faststart.mp3", Duration.ofSeconds(20));
        assertThat("the MP3 decodes at the video's length", Mp3Converter.durationOf(mp3),
                closeTo(Sample.MP4_H264_AAC.durationSeconds(), 0.15));

        List<String> urls = browser.script("return performance.getEntriesByType('resource').map(e => e.name)");
        String token = token(browser);
        assertThat("the token is never in a URL", urls.stream().filter(u -> u.contains(token)).toList(), empty());

        browser.screenshot(1280, OUTPUT.resolve("page-1280.png"));
        browser.screenshot(360, OUTPUT.resolve("page-360.png"));
        assertThat(browser.accessibilityViolations("signed in, one job done, 1280 px"), empty());
        browser.width(360);
        assertThat(browser.accessibilityViolations("signed in, one job done, 360 px"), empty());
        assertThat("nothing is wider than a 360 px screen",
                browser.<Long>script("return document.documentElement.scrollWidth"), lessThanOrEqualTo(360L));
    }

    @Test
    void everythingThePageLoadsBeforeTheFirstJobIsListedWeighsAtMost150Kb() throws Exception {
        String email = platform.newUser("page-weight");
        uploadWithTheApi(email, Sample.MP4_H264_AAC, "weight.mp4");

        Browser browser = browser();
        browser.open(page());
        signIn(browser, email);
        browser.await(Duration.ofSeconds(20), "the job listed", d -> !browser.all("li.job").isEmpty());
        List<Map<String, Object>> loaded = browser.script("return [...performance.getEntriesByType('navigation'),"
                + " ...performance.getEntriesByType('resource')].map(e => ({name: e.name, bytes: e.transferSize,"
                + " body: e.decodedBodySize}))");
        Map<String, Long> bytesByUrl = new java.util.LinkedHashMap<>();
        Map<String, Long> unpackedByUrl = new java.util.LinkedHashMap<>();
        for (Map<String, Object> each : loaded) {
            // a file named twice (the icon) is fetched once; the second use reads 0 bytes from memory
            bytesByUrl.merge((String) each.get("name"), ((Number) each.get("bytes")).longValue(), Long::sum);
            unpackedByUrl.put((String) each.get("name"), ((Number) each.get("body")).longValue());
        }
        StringBuilder breakdown = new StringBuilder();
        bytesByUrl.forEach((url, bytes) -> breakdown.append(String.format("%n  %7d bytes (%7d unpacked)  %s", bytes,
                unpackedByUrl.get(url), URI.create(url).getPath())));
        long total = bytesByUrl.values().stream().mapToLong(Long::longValue).sum();
        System.out.println("page weight before the first job is listed: " + total + " bytes over the network, "
                + unpackedByUrl.values().stream().mapToLong(Long::longValue).sum() + " unpacked" + breakdown);
        assertThat("a fresh profile has nothing cached: each file came over the network" + breakdown,
                bytesByUrl.values().stream().allMatch(bytes -> bytes > 0), is(true));
        assertThat(breakdown.toString(), total, lessThanOrEqualTo(150L * 1024));
    }

    @Test
    void aNetworkCutInTheMiddleOfAnUploadResumesWhereItStopped() throws Exception {
        Path video = TestMedia.longVideo(Duration.ofSeconds(4));
        long length = Files.size(video);
        try (TcpProxy network = new TcpProxy("127.0.0.1", platform.gateway.port)) {
            Uploading uploading = slowUpload("http://127.0.0.1:" + network.port() + "/", "page-cut", video, 0.25);
            Browser browser = uploading.browser();
            String email = uploading.email();

            // the connection drops mid-request (the proxy cuts it) and the browser knows it is offline
            network.stop();
            browser.network(true, SLOW);
            browser.await(Duration.ofSeconds(10), "the upload waiting for the connection",
                    d -> browser.find("li.upload").getAttribute("data-state").equals("offline"));
            assertThat(browser.find("li.upload .upload-status").getText(), containsString("continues by itself"));
            String upload = storedUploadUrl(browser, email);
            long atCut = offset(browser, upload);
            assertThat("the server kept what arrived before the cut", atCut, allOf(greaterThan(0L), lessThan(length)));

            network.start();
            browser.network(false, SLOW);
            awaitUploaded(browser, (double) atCut / length + 0.2);
            // a blip the browser does not notice: the request fails, the page retries by itself
            network.stop();
            Thread.sleep(1500);
            long atBlip = offset(browser, upload);
            assertThat(atBlip, greaterThan(atCut));
            network.start();
            browser.network(false, 0);

            awaitJob(browser, video.getFileName().toString(), "DONE", CONVERTED);
            HttpResponse<String> head = head(browser, upload);
            assertThat("the same upload, continued from where it stopped, became the job",
                    head.headers().firstValue("Upload-Offset").orElseThrow(), is(Long.toString(length)));
            String jobId = head.headers().firstValue("Link").orElseThrow().replaceAll("^</jobs/([^>]+)>.*$", "$1");
            assertThat(browser.find("li.job").getAttribute("data-job"), is(jobId));
        }
    }

    @Test
    void aReloadDuringAnUploadThenTheSameFileAgainContinuesFromTheServersOffset() throws Exception {
        Path video = TestMedia.longVideo(Duration.ofSeconds(4));
        long length = Files.size(video);
        Uploading uploading = slowUpload(page(), "page-reload", video, 0.3);
        Browser browser = uploading.browser();
        String email = uploading.email();

        browser.driver.navigate().refresh();
        browser.await(Duration.ofSeconds(10), "still signed in after the reload",
                d -> browser.find("#signed-in").isDisplayed());
        browser.await(Duration.ofSeconds(10), "the unfinished upload named",
                d -> browser.find("#unfinished").getText().contains(video.getFileName().toString()));
        String upload = storedUploadUrl(browser, email);
        long atReload = offset(browser, upload);
        assertThat(atReload, allOf(greaterThan(0L), lessThan(length)));

        browser.network(false, SLOW);
        browser.drop("#drop-zone", video);
        String continued = "continued from " + (100 * atReload / length) + "%";
        browser.await(Duration.ofSeconds(20), "the page saying the upload " + continued,
                d -> browser.find("li.upload .upload-status").getText().contains(continued));
        browser.network(false, 0);
        awaitJob(browser, video.getFileName().toString(), "DONE", CONVERTED);
        HttpResponse<String> head = head(browser, upload);
        assertThat("the upload begun before the reload is the one that finished",
                head.headers().firstValue("Upload-Offset").orElseThrow(), is(Long.toString(length)));
        assertThat(browser.all("li.job").size(), is(1));
        assertThat("nothing is left unfinished", browser.all("#unfinished li"), empty());
    }

    @Test
    void anUploadPausesResumesAndIsCancelled() throws Exception {
        Path video = TestMedia.longVideo(Duration.ofSeconds(4));
        Uploading uploading = slowUpload(page(), "page-pause", video, 0.1);
        Browser browser = uploading.browser();
        String upload = storedUploadUrl(browser, uploading.email());

        button(browser.find("li.upload"), "Pause").click();
        assertThat(browser.find("li.upload").getAttribute("data-state"), is("paused"));
        long paused = offset(browser, upload);
        Thread.sleep(1000);
        assertThat("nothing is sent while paused", offset(browser, upload), is(paused));

        button(browser.find("li.upload"), "Resume").click();
        awaitUploaded(browser, (double) paused / Files.size(video) + 0.1);
        button(browser.find("li.upload"), "Pause").click();
        assertThat("it went on from where it was", offset(browser, upload), greaterThan(paused));

        button(browser.find("li.upload"), "Cancel").click();
        browser.await(Duration.ofSeconds(10), "the upload gone", d -> browser.all("li.upload").isEmpty());
        assertThat("the server removed it", head(browser, upload).statusCode(), is(404));
        assertThat("nothing to resume is remembered", browser.<Long>script(
                "return Object.keys(localStorage).filter(k => k.startsWith('tus::')).length"), is(0L));
        assertThat(browser.find("#jobs-summary").getText(), containsString("No conversions yet"));
    }

    @Test
    void aFileThatIsNotAVideoIsRefusedInWordsAndNothingIsStored() throws Exception {
        Browser browser = browser();
        browser.open(page());
        String email = platform.newUser("page-not-video");
        signIn(browser, email);
        Path text = Files.writeString(platform.dir.resolve("notes.txt"), "shopping list: milk, bread\n".repeat(40));
        browser.drop("#drop-zone", text);
        WebElement refused = browser.await(Duration.ofSeconds(5), "the refusal",
                d -> d.findElement(By.cssSelector("li.upload[data-state=failed]")));
        assertThat(refused.getText(), containsString("“notes.txt” is not a video or audio file (it is text/plain)"));
        assertThat("refused before anything was sent", browser.<Long>script(
                "return performance.getEntriesByType('resource').filter(e => e.name.includes('/files/')).length"), is(0L));
        button(refused, "Remove").click();
        assertThat(browser.all("li.upload"), empty());

        // a text file named like a video passes the browser's check; the server reads its bytes and refuses it
        Path disguised = Files.copy(text, platform.dir.resolve("holiday.mp4"));
        browser.drop("#drop-zone", disguised);
        refused = browser.await(Duration.ofSeconds(20), "the server's refusal",
                d -> d.findElement(By.cssSelector("li.upload[data-state=failed]")));
        assertThat(refused.getText(), containsString("'holiday.mp4' is not a video or audio container we can read"));

        String token = token(browser);
        JsonNode jobs = Json.MAPPER.readTree(Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat("no job", jobs.get("total").asLong(), is(0L));
        try (MongoConnection mongo = new MongoConnection(platform.env.get("MONGO_URI"),
                platform.env.get("MONGO_DATABASE"))) {
            assertThat("no upload kept", mongo.database().getCollection("uploads")
                    .countDocuments(Filters.eq("owner.email", email)), is(0L));
            assertThat("no file kept", mongo.database().getCollection(MongoConnection.VIDEOS_BUCKET + ".files")
                    .countDocuments(Filters.in("filename", "holiday.mp4", "notes.txt")), is(0L));
        }
        assertThat("nothing to resume is remembered", browser.<Long>script(
                "return Object.keys(localStorage).filter(k => k.startsWith('tus::')).length"), is(0L));
        assertThat(browser.accessibilityViolations("refusals shown"), empty());
    }

    @Test
    void jobsArePagedNewestFirstAndAFailureShowsTheApisReasonAndASecondUserSeesNoneOfThem() throws Exception {
        String first = platform.newUser("page-first");
        String token = platform.login(first);
        JsonNode failed = platform.awaitFinished(token, uploadWithTheApi(first, Sample.MP4_NO_AUDIO, "first-users-silent.mp4"),
                CONVERTED);
        for (int i = 1; i <= 10; i++) {
            uploadWithTheApi(first, Sample.MP4_H264_AAC, "first-users-secret-" + i + ".mp4");
        }
        String second = platform.newUser("page-second");

        Browser browser = browser();
        browser.open(page());
        signIn(browser, first);
        browser.await(Duration.ofSeconds(10), "the first page", d -> browser.all("li.job").size() == 10);
        assertThat(browser.find("#jobs-summary").getText(), is("Showing 1 to 10 of 11, newest first."));
        assertThat(browser.find("li.job .name").getText(), is("first-users-secret-10.mp4"));
        browser.find("#older").click();
        WebElement silent = awaitJob(browser, "first-users-silent.mp4", "FAILED", Duration.ofSeconds(10));
        assertThat("the reason in the API's words", silent.getText(), containsString(failed.at("/error/message").asText()));
        assertThat(browser.all("li.job").size(), is(1));
        browser.find("#newer").click();
        awaitJob(browser, "first-users-secret-10.mp4", "DONE", CONVERTED);
        browser.find("#sign-out").click();
        browser.await(Duration.ofSeconds(5), "signed out", d -> browser.find("#signed-out").isDisplayed());
        assertThat("nothing of the first user is left in the page", browser.find("body").getAttribute("textContent"),
                not(containsString("first-users-")));

        signIn(browser, second);
        browser.await(Duration.ofSeconds(10), "the second user's empty list",
                d -> browser.find("#jobs-summary").getText().contains("No conversions yet"));
        assertThat(browser.all("li.job"), empty());
        assertThat(browser.find("body").getAttribute("textContent"), not(containsString("first-users-")));
    }

    @Test
    void theWholeFlowByKeyboard() throws Exception {
        String email = platform.newUser("page-keys");
        Browser browser = browser();
        browser.open(page());
        // the forms appear once the page has the server's limits: a person waits for them too
        browser.await(Duration.ofSeconds(10), "the sign-in form", d -> browser.find("#sign-in-email").isDisplayed());
        browser.tabTo("#sign-in-email", false, 6).sendKeys(email);
        browser.tabTo("#sign-in-password", false, 2).sendKeys(Platform.PASSWORD);
        browser.press(Keys.ENTER);
        browser.await(Duration.ofSeconds(10), "signed in", d -> browser.find("#signed-in").isDisplayed());
        assertThat("the focus moves to the new view's heading", browser.driver.switchTo().activeElement(),
                is(browser.find("#signed-in-heading")));

        browser.tabTo("#encoding", false, 4);
        browser.press(Keys.ARROW_DOWN);
        assertThat(browser.find("#encoding").getAttribute("value"), is("bitrate=256"));
        browser.tabTo("#loudness", false, 2);
        browser.press(Keys.ARROW_DOWN);
        assertThat(browser.find("#loudness").getAttribute("value"), is("loudness=-16"));
        browser.tabTo("#cover", false, 2);
        browser.press(Keys.ARROW_DOWN, Keys.ARROW_DOWN);
        assertThat(browser.find("#cover").getAttribute("value"), is("cover=none"));
        // Enter or Space on the focused picker opens the system's file dialog, which no browser test can drive:
        // the file is handed to the focused input as that dialog would
        browser.tabTo("#files", false, 2).sendKeys(TestMedia.path(Sample.AVI_MPEG4_MP3).toString());
        WebElement job = awaitJob(browser, Sample.AVI_MPEG4_MP3.fileName(), "DONE", CONVERTED);
        assertThat("the job was asked for what the controls said", job.getText(),
                containsString("256 kb/s · −16 LUFS · no cover"));

        browser.tabTo("li.job .actions .button", false, 12);
        browser.press(Keys.ENTER);
        Path mp3 = browser.awaitDownload("avi-mpeg4-mp3-stereo-48k-3s.mp3", Duration.ofSeconds(20));
        assertThat(Mp3Converter.durationOf(mp3), closeTo(Sample.AVI_MPEG4_MP3.durationSeconds(), 0.15));

        browser.tabTo("li.job .actions .button.secondary", false, 2);
        browser.press(Keys.ENTER);
        assertThat("the confirmation takes the focus", browser.driver.switchTo().activeElement().getText(),
                startsWith("Yes, delete"));
        browser.press(Keys.ENTER);
        browser.await(Duration.ofSeconds(10), "the job deleted", d -> browser.all("li.job").isEmpty());
        assertThat(browser.driver.switchTo().activeElement(), is(browser.find("#jobs-heading")));

        browser.tabTo("#sign-out", true, 20);
        browser.press(Keys.ENTER);
        browser.await(Duration.ofSeconds(5), "signed out", d -> browser.find("#signed-out").isDisplayed());
    }

    @Test
    void aForgottenPasswordAChangedOneAndADeletedAccount() throws Exception {
        String email = platform.newUser("page-account");
        Browser browser = browser();
        browser.open(page());
        browser.await(Duration.ofSeconds(10), "the sign-in form", d -> browser.find("#sign-in").isDisplayed());
        browser.find("#sign-in-email").sendKeys(email);
        browser.find("#forgot").click();
        assertThat("the address goes along", browser.find("#reset-request-email").getAttribute("value"), is(email));
        browser.find("#reset-request button[type=submit]").click();
        browser.await(Duration.ofSeconds(10), "the answer", d -> browser.find("#account-message").getText()
                .contains("if an account with a verified address exists"));
        String link = Platform.linkToken(Platform.awaitMail(email, "account.reset", Duration.ofSeconds(60)), "#reset=");
        browser.open(page() + "#reset=" + link);
        browser.await(Duration.ofSeconds(10), "the new-password form", d -> browser.find("#reset").isDisplayed());
        assertThat(browser.accessibilityViolations("choosing a new password"), empty());
        browser.find("#reset-password").sendKeys("short");
        browser.find("#reset button[type=submit]").click();
        browser.await(Duration.ofSeconds(10), "the refusal in words", d -> browser.find("#reset .error-summary").getText()
                .contains("at least 12 characters"));
        browser.find("#reset-password").clear();
        browser.find("#reset-password").sendKeys("a new page passphrase");
        browser.find("#reset button[type=submit]").click();
        browser.await(Duration.ofSeconds(10), "changed", d -> browser.find("#account-message").getText()
                .contains("Sign in with the new one"));
        browser.find("#sign-in-email").clear();
        browser.find("#sign-in-email").sendKeys(email);
        browser.find("#sign-in-password").sendKeys("a new page passphrase");
        browser.find("#sign-in button[type=submit]").click();
        browser.await(Duration.ofSeconds(20), "signed in", d -> browser.find("#signed-in").isDisplayed());

        browser.find("#change-password-current").sendKeys("a new page passphrase");
        browser.find("#change-password-new").sendKeys("the third page passphrase");
        browser.find("#change-password button[type=submit]").click();
        browser.await(Duration.ofSeconds(10), "changed again", d -> browser.find("#account-message").getText()
                .contains("Your other sign-ins have ended"));
        assertThat("this sign-in goes on", browser.find("#signed-in").isDisplayed(), is(true));
        assertThat(platform.loginStatus(email, "a new page passphrase"), is(401));

        browser.find("#delete-account-password").sendKeys("not the password at all");
        browser.find("#delete-account button[type=submit]").click();
        browser.await(Duration.ofSeconds(10), "refused", d -> browser.all("#delete-account .error-summary").size() == 1);
        browser.find("#delete-account-password").clear();
        browser.find("#delete-account-password").sendKeys("the third page passphrase");
        browser.find("#delete-account button[type=submit]").click();
        browser.await(Duration.ofSeconds(10), "deleted", d -> browser.find("#signed-out").isDisplayed()
                && browser.find("#account-message").getText().contains("Your account is deleted"));
        assertThat(platform.loginStatus(email, "the third page passphrase"), is(401));
    }

    private record Uploading(Browser browser, String email) {
    }

    /** A new user signed in on the page at this address, uploading the video slowly, past this share of it. */
    private Uploading slowUpload(String address, String label, Path video, double share) throws Exception {
        Browser browser = browser();
        browser.open(address);
        String email = platform.newUser(label);
        signIn(browser, email);
        browser.network(false, SLOW);
        browser.drop("#drop-zone", video);
        awaitUploaded(browser, share);
        String progress = browser.find("li.upload .upload-status").getText();
        assertThat("progress with speed and time left: " + progress,
                progress.matches("\\d+% · [0-9.]+ KB of 1 MB · [0-9.]+ KB/s · about \\d+ s left"), is(true));
        return new Uploading(browser, email);
    }

    /** The button in this element whose visible words start with these. */
    private static WebElement button(WebElement within, String words) {
        return within.findElement(By.xpath(".//button[starts-with(normalize-space(.), '" + words + "')]"));
    }

    private Browser browser() throws Exception {
        Browser browser = new Browser(platform.dir);
        browsers.add(browser);
        return browser;
    }

    /** A job for this user made without the page, as a curl user would; its id. */
    private static String uploadWithTheApi(String email, Sample sample, String name) throws Exception {
        byte[] video = Files.readAllBytes(TestMedia.path(sample));
        HttpResponse<String> upload = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + platform.login(email))
                .header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Multipart.body("b", Multipart.filePart(name, video))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upload.body(), upload.statusCode(), is(202));
        return Json.MAPPER.readTree(upload.body()).get("jobId").asText();
    }

    private static String page() {
        return platform.gateway("/").toString();
    }

    private static void signUp(Browser browser, String email) {
        browser.find("#sign-up-email").sendKeys(email);
        browser.find("#sign-up-password").sendKeys(Platform.PASSWORD);
        browser.find("#sign-up button[type=submit]").click();
        browser.await(Duration.ofSeconds(20), "signed in after signing up", d -> browser.find("#signed-in").isDisplayed());
    }

    private static void signIn(Browser browser, String email) {
        browser.await(Duration.ofSeconds(10), "the sign-in form", d -> browser.find("#sign-in").isDisplayed());
        browser.find("#sign-in-email").sendKeys(email);
        browser.find("#sign-in-password").sendKeys(Platform.PASSWORD);
        browser.find("#sign-in button[type=submit]").click();
        browser.await(Duration.ofSeconds(20), "signed in", d -> browser.find("#signed-in").isDisplayed());
    }

    /** The row of the job for this file once it shows the state. */
    private static WebElement awaitJob(Browser browser, String name, String state, Duration timeout) {
        return browser.await(timeout, name + " " + state, d -> browser.all("li.job").stream()
                .filter(row -> row.findElement(By.cssSelector(".name")).getText().equals(name)
                        && state.equals(row.getAttribute("data-state")))
                .findFirst().orElse(null));
    }

    /** Waits until the (one) upload in the list has sent at least this share of its file. */
    private static void awaitUploaded(Browser browser, double share) {
        browser.await(Duration.ofSeconds(30), "the upload past " + Math.round(share * 100) + "%", d -> {
            WebElement progress = browser.find("li.upload progress");
            return Double.parseDouble(progress.getAttribute("value")) / Double.parseDouble(progress.getAttribute("max")) >= share;
        });
    }

    private static String token(Browser browser) throws Exception {
        String session = browser.script("return sessionStorage.getItem('mp3converter.session')");
        return Json.MAPPER.readTree(session).get("token").asText();
    }

    /** The upload URL tus-js-client keeps in localStorage for this user's upload (the token is not kept there). */
    private static String storedUploadUrl(Browser browser, String email) throws Exception {
        List<String> stored = browser.script("return Object.keys(localStorage)"
                + ".filter(k => k.startsWith('tus::mp3converter|' + arguments[0] + '|')).map(k => localStorage.getItem(k))", email);
        assertThat(stored.size(), is(1));
        assertThat(stored.getFirst(), not(containsString(token(browser))));
        return Json.MAPPER.readTree(stored.getFirst()).get("uploadUrl").asText();
    }

    /**
     * The upload's offset as the server tells it to any tus client, once it stops moving (the request that was cut
     * has ended on the server's side too).
     */
    private static long offset(Browser browser, String upload) throws Exception {
        long offset = -1;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> head = head(browser, upload);
            assertThat(head.statusCode(), is(200));
            long now = Long.parseLong(head.headers().firstValue("Upload-Offset").orElseThrow());
            if (now == offset) {
                return now;
            }
            offset = now;
            Thread.sleep(250);
        }
        throw new AssertionError("the offset of " + upload + " kept moving: " + offset);
    }

    private static HttpResponse<String> head(Browser browser, String upload) throws Exception {
        URI direct = platform.gateway(URI.create(upload).getPath());
        return Platform.HTTP.send(HttpRequest.newBuilder(direct).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + token(browser)).header("Tus-Resumable", TUS).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
