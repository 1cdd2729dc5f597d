package com.mp3converter.gateway;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;

import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/** The page's files and headers, /limits, and no-store on API answers, through Helidon with the gateway's classes. */
@ServerTest
class PageServiceTest {
    private static final Pattern ASSET = Pattern.compile("(?:href|src)=\"(/assets/[^\"]+)\"");
    private static final Pattern IMPORT = Pattern.compile("from '\\./([^']+)'");

    private final Http1Client client;

    PageServiceTest(Http1Client client) {
        this.client = client;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder rules) {
        rules.addFilter(new NoStoreByDefault())
                .register("/", PageService.fromResources())
                .register("/", new LimitsService(new UploadPolicy.Limits(2_147_483_648L, 10_737_418_240L, 20),
                        Duration.ofDays(7), Duration.ofHours(24)))
                .get("/refused", (req, res) -> {
                    throw Problems.notFound("nothing here");
                })
                .get("/answer", (req, res) -> Json.send(res, List.of("yours only")))
                .get("/refused-late", (req, res) -> { // as a download that is refused once its headers are set
                    res.header(HeaderNames.CONTENT_LENGTH, "9602726");
                    res.header(HeaderNames.CACHE_CONTROL, "private, max-age=3600");
                    res.header(HeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"song.mp3\"");
                    throw new ProblemException(429, "too-many-downloads", "Too many downloads", "let one finish first");
                });
        Problems.register(rules);
    }

    @Test
    void thePageComesWithAStrictPolicyAndIsRevalidated() {
        try (HttpClientResponse page = client.get("/").request()) {
            assertThat(page.status().code(), is(200));
            assertThat(page.headers().contentType().orElseThrow().text(), startsWith("text/html"));
            assertThat(page.headers().first(HeaderNames.create("Content-Security-Policy")).orElseThrow(),
                    is("default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"));
            assertThat(page.headers().first(HeaderNames.create("Referrer-Policy")).orElseThrow(), is("no-referrer"));
            assertThat(page.headers().first(HeaderNames.create("X-Content-Type-Options")).orElseThrow(), is("nosniff"));
            assertThat(page.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(), is("no-cache"));
            try (HttpClientResponse head = client.head("/").request()) {
                assertThat("HEAD as GET, without the body", head.status().code(), is(200));
                assertThat(head.headers().first(HeaderNames.CONTENT_LENGTH).orElseThrow(),
                        is(page.headers().first(HeaderNames.CONTENT_LENGTH).orElseThrow()));
            }
            String etag = page.headers().first(HeaderNames.ETAG).orElseThrow();
            try (HttpClientResponse again = client.get("/").header(HeaderNames.IF_NONE_MATCH, etag).request()) {
                assertThat(again.status().code(), is(304));
            }
        }
    }

    @Test
    void thePageHasNoInlineScriptStyleOrHtmlInjection() {
        String html = client.get("/").requestEntity(String.class);
        assertThat("every script is a file", Pattern.compile("<script(?![^>]*\\bsrc=)").matcher(html).find(), is(false));
        assertThat("no style element or attribute", Pattern.compile("<style|\\sstyle=").matcher(html).find(), is(false));
        assertThat("no inline handler", Pattern.compile("\\son[a-z]+=").matcher(html).find(), is(false));
        for (String module : modules(html)) {
            String js = client.get(module).requestEntity(String.class);
            assertThat(module + " builds elements from text, never from HTML or code",
                    Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|eval\\(|new Function").matcher(js).find(),
                    is(false));
        }
    }

    @Test
    void everyFileThePageNamesIsServedForAYearUnderItsVersion() {
        String html = client.get("/").requestEntity(String.class);
        List<String> files = new ArrayList<>();
        Matcher asset = ASSET.matcher(html);
        while (asset.find()) {
            files.add(asset.group(1));
        }
        files.addAll(modules(html));
        assertThat(files, not(empty()));
        for (String file : files) {
            assertThat(file, not(containsString("VERSION")));
            try (HttpClientResponse response = client.get(file).request()) {
                assertThat(file, response.status().code(), is(200));
                assertThat(file, response.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(),
                        is("public, max-age=31536000, immutable"));
                assertThat(file, response.headers().contentType().orElseThrow().text(),
                        file.endsWith(".js") ? startsWith("text/javascript") : file.endsWith(".css")
                                ? startsWith("text/css") : startsWith("image/svg+xml"));
            }
        }
        String other = files.getFirst().replaceFirst("/assets/[^/]+/", "/assets/0123456789ab/");
        try (HttpClientResponse stale = client.get(other).request()) {
            assertThat("another version's file is not passed off as this one's", stale.status().code(), is(404));
            assertThat(stale.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(), is("no-store"));
        }
    }

    @Test
    void filesAreSentGzippedToClientsThatTakeIt() throws Exception {
        byte[] plain = client.get("/").request(byte[].class).entity();
        try (HttpClientResponse gzipped = client.get("/").header(HeaderNames.ACCEPT_ENCODING, "br, gzip").request()) {
            assertThat(gzipped.headers().first(HeaderNames.CONTENT_ENCODING).orElseThrow(), is("gzip"));
            assertThat(gzipped.headers().first(HeaderNames.VARY).orElseThrow(), is("Accept-Encoding"));
            byte[] body = gzipped.entity().as(byte[].class);
            assertThat(body.length, lessThan(plain.length / 2));
            try (var in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8), is(new String(plain, StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void limitsForEveryClient() throws Exception {
        try (HttpClientResponse response = client.get("/limits").request()) {
            assertThat(response.status().code(), is(200));
            assertThat(response.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(), is("no-store"));
            JsonNode limits = Json.MAPPER.readTree(response.entity().as(String.class));
            assertThat(limits.get("maxUploadBytes").asLong(), is(2_147_483_648L));
            assertThat(limits.get("mp3RetentionSeconds").asLong(), is(604_800L));
            assertThat(limits.get("unfinishedUploadExpirySeconds").asLong(), is(86_400L));
            assertThat(limits.get("accept").toString(), is("[\"video/*\",\"audio/*\"]"));
        }
    }

    @Test
    void apiAnswersAndProblemsAreNotStored() {
        try (HttpClientResponse answer = client.get("/answer").request()) {
            assertThat(answer.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(), is("no-store"));
        }
        try (HttpClientResponse problem = client.get("/refused").request()) {
            assertThat(problem.status().code(), is(404));
            assertThat(problem.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(), is("no-store"));
        }
    }

    @Test
    void aProblemCarriesNothingTheHandlerSaidOfTheAnswerItMeantToSend() {
        try (HttpClientResponse problem = client.get("/refused-late").request()) {
            byte[] body = problem.entity().as(byte[].class);
            assertThat(problem.status().code(), is(429));
            assertThat(problem.headers().contentLength().orElseThrow(), is((long) body.length));
            assertThat(problem.headers().first(HeaderNames.CACHE_CONTROL).orElseThrow(), is("no-store"));
            assertThat(problem.headers().contains(HeaderNames.CONTENT_DISPOSITION), is(false));
            assertThat(new String(body, StandardCharsets.UTF_8), containsString("let one finish first"));
        }
    }

    /** The page's ES modules: the one index.html loads and every module those import. */
    private List<String> modules(String html) {
        Matcher main = Pattern.compile("src=\"(/assets/[^\"]+/)app\\.js\"").matcher(html);
        assertThat(main.find(), is(true));
        String base = main.group(1);
        List<String> modules = new ArrayList<>(List.of(base + "app.js"));
        for (int i = 0; i < modules.size(); i++) {
            Matcher imports = IMPORT.matcher(client.get(modules.get(i)).requestEntity(String.class));
            while (imports.find()) {
                if (!modules.contains(base + imports.group(1))) {
                    modules.add(base + imports.group(1));
                }
            }
        }
        return modules;
    }
}
