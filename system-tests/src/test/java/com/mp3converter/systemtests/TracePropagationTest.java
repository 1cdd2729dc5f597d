package com.mp3converter.systemtests;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.mp3converter.auth.AuthApplication;
import com.mp3converter.common.server.Application;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.common.tracing.Tracing;
import com.mp3converter.gateway.GatewayApplication;
import com.mp3converter.mailer.MailerApplication;
import com.mp3converter.transcoder.TranscoderApplication;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/**
 * One job through gateway, transcoder and mailer (all four services in this JVM, real servers behind them)
 * with an in-memory span exporter: every span of the upload, from the caller's traceparent (as Envoy sends
 * it) through both streams to the SMTP send, shares one trace id with the right parent links, and each kind
 * (HTTP server and client, messaging, database, MongoDB commands) carries the OpenTelemetry conventional names
 * and attributes.
 */
class TracePropagationTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String EDGE_SPAN = "00f067aa0ba902b7";

    @Test
    void oneTraceFromUploadToEmail() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
        Tracing.use(OpenTelemetrySdk.builder().setTracerProvider(provider).build(), "in-process");
        Platform platform = new Platform(Map.of());
        Map<String, String> settings = new HashMap<>();
        platform.env.forEach((k, v) -> settings.put(configKey(k), v));
        settings.put("server.port", "0");
        settings.put("smtp.security", "none");
        MailerApplication mailer = new MailerApplication(config(settings, "mailer"));
        WebServer mailerServer = serve(mailer, settings, "mailer"); // auth hands it the verification mail
        settings.put("mailer.url", "http://127.0.0.1:" + mailerServer.port());
        AuthApplication auth = new AuthApplication(config(settings, "auth"));
        WebServer authServer = serve(auth, settings, "auth");
        settings.put("auth.url", "http://127.0.0.1:" + authServer.port());
        GatewayApplication gateway = new GatewayApplication(config(settings, "gateway"));
        WebServer gatewayServer = serve(gateway, settings, "gateway");
        TranscoderApplication transcoder = new TranscoderApplication(config(settings, "transcoder"));
        transcoder.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + gatewayServer.port());
            String email = "traced-" + LocalServers.unique() + "@example.com";
            send(HttpRequest.newBuilder(base.resolve("/signup")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\"" + Platform.PASSWORD + "\"}")));
            HttpResponse<String> verified = send(HttpRequest.newBuilder(base.resolve("/account/verify"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + Platform.verificationToken(email) + "\"}")));
            assertThat(verified.body(), verified.statusCode(), is(200));
            String token = send(HttpRequest.newBuilder(base.resolve("/login")).header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString((email + ":" + Platform.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                    .POST(HttpRequest.BodyPublishers.noBody())).body();
            exporter.reset();
            String boundary = "trace" + LocalServers.unique();
            Path sample = TestMedia.path(Sample.WAV_22K);
            HttpResponse<String> accepted = send(HttpRequest.newBuilder(base.resolve("/upload"))
                    .header("Authorization", "Bearer " + token)
                    .header("traceparent", "00-" + TRACE_ID + "-" + EDGE_SPAN + "-01")
                    .header("x-request-id", "req-" + boundary)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(boundary, Files.readAllBytes(sample)))));
            assertThat(accepted.body(), accepted.statusCode(), is(202));
            assertThat(accepted.headers().firstValue("x-request-id").orElse(""), is("req-" + boundary));
            Platform.awaitJobMails(email, 1, Duration.ofSeconds(90));
            Thread.sleep(500);

            List<SpanData> trace = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(TRACE_ID)).toList();
            SpanData upload = one(trace, "POST /upload", SpanKind.SERVER);
            assertThat(upload.getParentSpanId(), is(EDGE_SPAN));
            assertAttributes(upload, Map.of("http.request.method", "POST", "http.route", "/upload", "url.scheme", "http",
                    "url.path", "/upload", "server.address", "127.0.0.1", "http.response.status_code", "202",
                    "mp3converter.request.id", "req-" + boundary));
            SpanData writeVideo = one(trace, "gridfs write videos", SpanKind.CLIENT);
            assertThat(writeVideo.getParentSpanId(), is(upload.getSpanId()));
            assertAttributes(writeVideo, Map.of("db.system.name", "mongodb", "db.collection.name", "videos.files"));
            SpanData insertJob = trace.stream().filter(s -> s.getKind() == SpanKind.CLIENT
                    && "jobs".equals(s.getAttributes().get(AttributeKey.stringKey("db.collection.name")))
                    && "insert".equals(s.getAttributes().get(AttributeKey.stringKey("db.operation.name"))))
                    .findFirst().orElseThrow(() -> new AssertionError("no MongoDB span inserting the job in " + names(trace)));
            assertThat(insertJob.getParentSpanId(), is(upload.getSpanId()));
            assertAttributes(insertJob, Map.of("db.system.name", "mongodb"));
            assertThat("the deprecated db.system is on no span", trace.stream()
                    .filter(s -> s.getAttributes().get(AttributeKey.stringKey("db.system")) != null).toList(), empty());
            String videos = platform.env.get("STREAMS_VIDEOS_NAME");
            String jobEvents = platform.env.get("STREAMS_JOB_DASH_EVENTS_NAME");
            String notifications = platform.env.get("STREAMS_NOTIFICATIONS_NAME");
            SpanData sendVideo = one(trace, "send " + videos, SpanKind.PRODUCER);
            assertThat(sendVideo.getParentSpanId(), is(upload.getSpanId()));
            assertAttributes(sendVideo, Map.of("messaging.system", "rabbitmq", "messaging.operation.name", "send",
                    "messaging.operation.type", "send", "messaging.destination.name", videos));
            SpanData convert = one(trace, "process " + videos, SpanKind.CONSUMER);
            assertThat(convert.getParentSpanId(), is(sendVideo.getSpanId()));
            assertAttributes(convert, Map.of("messaging.system", "rabbitmq", "messaging.operation.name", "process",
                    "messaging.operation.type", "process", "messaging.destination.name", videos));
            assertThat(one(trace, "gridfs read videos", SpanKind.CLIENT).getParentSpanId(), is(convert.getSpanId()));
            assertThat(one(trace, "convert to mp3", SpanKind.INTERNAL).getParentSpanId(), is(convert.getSpanId()));
            assertThat(one(trace, "gridfs write mp3s", SpanKind.CLIENT).getParentSpanId(), is(convert.getSpanId()));
            SpanData sendDone = childOf(trace, convert, "send " + jobEvents, SpanKind.PRODUCER);
            SpanData fold = childOf(trace, sendDone, "process " + jobEvents, SpanKind.CONSUMER);
            SpanData sendNotice = childOf(trace, fold, "send " + notifications, SpanKind.PRODUCER);
            SpanData mail = childOf(trace, sendNotice, "process " + notifications, SpanKind.CONSUMER);
            SpanData smtp = one(trace, "smtp send", SpanKind.CLIENT);
            assertThat(smtp.getParentSpanId(), is(mail.getSpanId()));
            assertAttributes(smtp, Map.of("server.address", platform.env.get("SMTP_HOST")));
            SpanData sendSent = childOf(trace, mail, "send " + jobEvents, SpanKind.PRODUCER);
            childOf(trace, sendSent, "process " + jobEvents, SpanKind.CONSUMER);

            exporter.reset();
            send(HttpRequest.newBuilder(base.resolve("/login")).header("traceparent", "00-" + TRACE_ID + "-" + EDGE_SPAN + "-01")
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((email + ":" + Platform.PASSWORD)
                            .getBytes(StandardCharsets.UTF_8))).POST(HttpRequest.BodyPublishers.noBody()));
            // a server span ends after its response is sent, so the client can read the answer before it is exported
            List<SpanData> seen = List.of();
            for (Instant deadline = Instant.now().plusSeconds(5); Instant.now().isBefore(deadline); Thread.sleep(50)) {
                seen = exporter.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(TRACE_ID)).toList();
                if (seen.stream().filter(s -> s.getName().equals("POST /login") && s.getKind() == SpanKind.SERVER).count() == 2) {
                    break;
                }
            }
            List<SpanData> login = seen;
            List<SpanData> servers = login.stream().filter(s -> s.getName().equals("POST /login") && s.getKind() == SpanKind.SERVER).toList();
            SpanData client = one(login, "POST /login", SpanKind.CLIENT);
            assertAttributes(client, Map.of("http.request.method", "POST", "url.template", "/login",
                    "server.address", "127.0.0.1", "http.response.status_code", "200"));
            SpanData edge = servers.stream().filter(s -> s.getParentSpanId().equals(EDGE_SPAN)).findFirst()
                    .orElseThrow(() -> new AssertionError("no gateway server span under the edge's in " + names(login)));
            assertThat(client.getParentSpanId(), is(edge.getSpanId()));
            assertThat("auth continues the gateway's client span",
                    servers.stream().anyMatch(s -> s.getParentSpanId().equals(client.getSpanId())), is(true));
        } finally {
            mailerServer.stop();
            mailer.close();
            transcoder.close();
            gatewayServer.stop();
            gateway.close();
            authServer.stop();
            auth.close();
            platform.close();
            Tracing.use(io.opentelemetry.api.OpenTelemetry.noop(), "none");
        }
    }

    /** Environment variable names as config keys, the way Helidon maps them (_DASH_ is a dash). */
    private static String configKey(String env) {
        return env.toLowerCase(java.util.Locale.ROOT).replace("_dash_", "-").replace('_', '.');
    }

    /** The service's own application.yaml under these settings (the environment of the jars, as config keys). */
    private static Config config(Map<String, String> settings, String service) {
        return ServiceServer.config(settings, ConfigSources.file(
                LocalServers.repoRoot().resolve(service + "/src/main/resources/application.yaml")).build());
    }

    private static WebServer serve(Application app, Map<String, String> settings, String service) {
        Config config = config(settings, service);
        WebServerConfig.Builder builder = WebServer.builder().config(config.get("server"));
        ServiceServer.configure(builder, config, app);
        WebServer server = builder.build().start();
        app.start();
        return server;
    }

    /** Each attribute, whatever its type, as text. */
    private static void assertAttributes(SpanData span, Map<String, String> expected) {
        Map<String, String> actual = new HashMap<>();
        span.getAttributes().forEach((key, value) -> actual.put(key.getKey(), String.valueOf(value)));
        expected.forEach((key, value) -> assertThat(span.getName() + " " + key + " in " + actual, actual.get(key), is(value)));
    }

    /** The one span of this name and kind whose parent is {@code parent}. */
    private static SpanData childOf(List<SpanData> spans, SpanData parent, String name, SpanKind kind) {
        List<SpanData> found = spans.stream().filter(s -> s.getName().equals(name) && s.getKind() == kind
                && s.getParentSpanId().equals(parent.getSpanId())).toList();
        assertThat(name + " under " + parent.getName() + " in " + names(spans), found.size(), is(1));
        return found.getFirst();
    }

    private static SpanData one(List<SpanData> spans, String name, SpanKind kind) {
        List<SpanData> found = spans.stream().filter(s -> s.getName().equals(name) && s.getKind() == kind).toList();
        assertThat(name + " in " + names(spans), found.size(), is(1));
        return found.getFirst();
    }

    private static List<String> names(List<SpanData> spans) {
        return spans.stream().map(s -> s.getName() + "(" + s.getKind() + ")").toList();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return Platform.HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] multipart(String boundary, byte[] file) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"traced.wav\"\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.writeBytes(file);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
