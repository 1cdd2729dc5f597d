package com.mp3converter.systemtests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Json;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * Webhooks (Standard Webhooks) against the four jars and a real receiver on loopback (allowed here by the
 * operator's allow-list), verified with the Standard Webhooks project's own library. Retries wait 1 s here.
 */
class WebhooksIT {
    private static Platform platform;
    private static int port;
    private WebhookReceiver receiver;

    @BeforeAll
    static void start() throws Exception {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // every test's receiver listens here: the one endpoint the mailer may reach
        }
        platform = Platform.start(Map.of("WEBHOOKS_ALLOW", "http://127.0.0.1:" + port,
                "WEBHOOKS_RETRY_DASH_SCHEDULE", "PT1S,PT1S,PT1S,PT1S,PT1S,PT1S,PT1S,PT1S",
                "WEBHOOKS_TIMEOUT", "PT3S", "WEBHOOKS_CONNECT_DASH_TIMEOUT", "PT1S", "WEBHOOKS_LEASE", "PT5S",
                "WEBHOOKS_PING_DASH_INTERVAL", "PT0S")); // SecurityIT checks the ping limit
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @AfterEach
    void stopReceiver() {
        if (receiver != null) {
            receiver.stop();
        }
    }

    @Test
    void aJobsOutcomeArrivesOnceSignedAndSurvivesAReceiverOutage() throws Exception {
        String email = platform.newUser("hooks");
        String token = platform.login(email);
        receiver = WebhookReceiver.start(port);
        receiver.plan(503);
        JsonNode endpoint = register(token, receiver.url(), List.of("job.done"));
        String secret = endpoint.get("secret").asText();
        assertThat(secret, startsWith("whsec_"));

        HttpResponse<String> upload = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Multipart.body("b",
                        Multipart.filePart("clip.mp4", Files.readAllBytes(TestMedia.path(Sample.MP4_H264_AAC)))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(upload.body(), upload.statusCode(), is(202));
        String jobId = Json.MAPPER.readTree(upload.body()).get("jobId").asText();

        receiver.await(r -> r.answered() == 503, Duration.ofSeconds(90));
        receiver.stop();
        Thread.sleep(2500); // at least one attempt finds nobody listening
        WebhookReceiver back = WebhookReceiver.start(port);
        back.received.addAll(receiver.received);
        receiver = back;
        WebhookReceiver.Received delivered = receiver.await(r -> r.answered() == 200, Duration.ofSeconds(30));

        new Webhook(secret).verify(delivered.body(), delivered.headers());
        JsonNode payload = Json.MAPPER.readTree(delivered.body());
        assertThat(payload.get("type").asText(), is("job.done"));
        assertThat(payload.at("/data/jobId").asText(), is(jobId));
        assertThat(payload.at("/data/state").asText(), is("DONE"));
        assertThat(payload.at("/data/sourceName").asText(), is("clip.mp4"));
        assertThat(payload.at("/data/links/download").asText(),
                containsString("/download?fid=" + payload.at("/data/mp3/fileId").asText()));
        assertThat("one message id on every attempt", receiver.received.stream().map(r -> r.header("webhook-id")).distinct().toList(),
                hasSize(1));

        Thread.sleep(2000);
        assertThat("exactly one successful delivery", receiver.received.stream().filter(r -> r.answered() == 200).toList(), hasSize(1));
        JsonNode deliveries = get(token, "/webhooks/" + endpoint.get("id").asText() + "/deliveries");
        assertThat(deliveries.get("items").size(), is(1));
        JsonNode delivery = deliveries.at("/items/0");
        assertThat(delivery.get("state").asText(), is("SUCCEEDED"));
        assertThat(delivery.get("jobId").asText(), is(jobId));
        assertThat(delivery.get("webhookMessageId").asText(), is(delivered.header("webhook-id")));
        List<String> statuses = new ArrayList<>();
        delivery.get("attempts").forEach(a -> statuses.add(a.get("status").isNull() ? "none" : a.get("status").asText()));
        assertThat(delivery.toString(), statuses.getFirst(), is("503"));
        assertThat(statuses.toString(), statuses.getLast(), is("200"));
        assertThat("the outage is in the log", statuses.contains("none"), is(true));
    }

    @Test
    void aNotifierKilledMidDeliveryLeavesItToTheNextWithTheSameId() throws Exception {
        String token = platform.login(platform.newUser("hooks-kill"));
        receiver = WebhookReceiver.start(port);
        receiver.hold(Duration.ofSeconds(8));
        receiver.plan(503); // what the first request is answered, once the notifier that sent it is dead
        JsonNode endpoint = register(token, receiver.url(), List.of("job.done", "job.failed"));
        String id = endpoint.get("id").asText();
        assertThat(post(token, "/webhooks/" + id + "/ping", "").statusCode(), is(202));
        receiver.awaitArrivals(1, Duration.ofSeconds(20));

        platform.running("mailer").getFirst().kill();
        platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
        WebhookReceiver.Received second = receiver.await(r -> r.answered() == 200, Duration.ofSeconds(30));

        assertThat(receiver.received.stream().map(r -> r.header("webhook-id")).distinct().toList(), hasSize(1));
        new Webhook(endpoint.get("secret").asText()).verify(second.body(), second.headers());
        assertThat(Json.MAPPER.readTree(second.body()).get("type").asText(), is("webhook.ping"));
        JsonNode delivery = get(token, "/webhooks/" + id + "/deliveries").at("/items/0");
        assertThat(delivery.get("state").asText(), is("SUCCEEDED"));
        assertThat(delivery.get("attempts").size(), is(2));
        assertThat(delivery.at("/attempts/0/error").asText(), containsString("notifier stopped"));
        assertThat(delivery.at("/attempts/1/status").asInt(), is(200));
    }

    @Test
    void safeTargetsOwnershipRotationAndGone() throws Exception {
        String token = platform.login(platform.newUser("hooks-rules"));
        for (String url : List.of("https://10.0.0.5/hook", "https://169.254.169.254/latest/meta-data",
                "https://[::1]/hook", "https://192.168.1.10/", "https://0.0.0.0/")) {
            assertProblem(post(token, "/webhooks", "{\"url\":\"" + url + "\"}"), 400, "private, loopback or link-local");
        }
        assertProblem(post(token, "/webhooks", "{\"url\":\"http://93.184.215.14/hook\"}"), 400, "https only");
        assertProblem(post(token, "/webhooks", "{\"url\":\"ftp://93.184.215.14/\"}"), 400, "not an https URL");
        assertProblem(post(token, "/webhooks", "{\"url\":\"https://93.184.215.14/\",\"events\":[\"job.deleted\"]}"), 400, "events");
        assertProblem(post(null, "/webhooks", "{\"url\":\"https://93.184.215.14/\"}"), 401, "Bearer");

        receiver = WebhookReceiver.start(port);
        JsonNode endpoint = register(token, receiver.url(), List.of("job.done"));
        String id = endpoint.get("id").asText();
        String stranger = platform.login(platform.newUser("hooks-stranger"));
        assertProblem(Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/webhooks/" + id))
                .header("Authorization", "Bearer " + stranger).build(), HttpResponse.BodyHandlers.ofString()), 404, "no such webhook");
        assertThat(get(stranger, "/webhooks").get("items").size(), is(0));
        String ownerId = Json.MAPPER.readTree(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1])).get("sub").asText();
        assertProblem(Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/webhooks/" + id))
                .header("Authorization", "Bearer " + stranger).header("X-Mp3converter-User", ownerId).build(),
                HttpResponse.BodyHandlers.ofString()), 404, "no such webhook");

        JsonNode rotated = Json.MAPPER.readTree(post(token, "/webhooks/" + id + "/rotate", "").body());
        String oldSecret = endpoint.get("secret").asText();
        String newSecret = rotated.get("secret").asText();
        assertThat(newSecret.equals(oldSecret), is(false));
        post(token, "/webhooks/" + id + "/ping", "");
        WebhookReceiver.Received ping = receiver.await(r -> true, Duration.ofSeconds(20));
        new Webhook(newSecret).verify(ping.body(), ping.headers());
        new Webhook(oldSecret).verify(ping.body(), ping.headers());
        try {
            new Webhook(Platform.PASSWORD.getBytes(StandardCharsets.UTF_8)).verify(ping.body(), ping.headers());
            throw new AssertionError("a wrong secret verified");
        } catch (WebhookVerificationException expected) {
            // the library checks what we sign
        }

        receiver.plan(410);
        post(token, "/webhooks/" + id + "/ping", "");
        receiver.await(r -> r.answered() == 410, Duration.ofSeconds(20));
        Instant deadline = Instant.now().plusSeconds(10);
        JsonNode shown = get(token, "/webhooks/" + id);
        while (shown.get("enabled").asBoolean() && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            shown = get(token, "/webhooks/" + id);
        }
        assertThat(shown.get("enabled").asBoolean(), is(false));
        assertThat(shown.get("disabledReason").asText(), containsString("410"));
        assertProblem(post(token, "/webhooks/" + id + "/ping", ""), 409, "disabled");
        assertThat(Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/webhooks/" + id)).DELETE()
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).statusCode(), is(204));
        assertThat(get(token, "/webhooks").get("items").size(), is(0));
    }

    private static JsonNode register(String token, String url, List<String> events) throws Exception {
        HttpResponse<String> created = post(token, "/webhooks",
                Json.MAPPER.writeValueAsString(Map.of("url", url, "events", events)));
        assertThat(created.body(), created.statusCode(), is(201));
        return Json.MAPPER.readTree(created.body());
    }

    private static HttpResponse<String> post(String token, String path, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return Platform.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(String token, String path) throws Exception {
        HttpResponse<String> answer = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway(path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.body(), answer.statusCode(), is(200));
        return Json.MAPPER.readTree(answer.body());
    }

    private static void assertProblem(HttpResponse<String> answer, int status, String words) throws Exception {
        assertThat(answer.body(), answer.statusCode(), is(status));
        assertThat(Json.MAPPER.readTree(answer.body()).get("detail").asText(), containsString(words));
    }
}
