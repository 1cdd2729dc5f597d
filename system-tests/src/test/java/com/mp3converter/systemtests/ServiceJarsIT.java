package com.mp3converter.systemtests;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.mp3converter.common.testing.ServiceProcess;
import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** Each runnable jar starts, reports ready, and stops cleanly on SIGTERM; bad configuration stops it at once. */
class ServiceJarsIT {
    private static Platform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = Platform.start();
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @Test
    void everyServiceIsReadyAndStopsOnSigterm() throws Exception {
        for (ServiceProcess service : platform.processes()) {
            assertThat(service.name + " alive", service.alive(), is(true));
            var health = Platform.HTTP.send(java.net.http.HttpRequest.newBuilder(service.uri("/health/live")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(service.name + " live", health.statusCode(), is(200));
            var metrics = Platform.HTTP.send(java.net.http.HttpRequest.newBuilder(service.uri("/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(service.name + " metrics", metrics.body(), containsString("jvm"));
        }
        for (ServiceProcess service : platform.processes().reversed()) {
            long started = System.nanoTime();
            int exit = service.terminate(Duration.ofSeconds(30));
            assertThat(service.name + " exits on SIGTERM within 30 s (" + service.tail() + ")", exit, is(143));
            assertThat((System.nanoTime() - started) / 1_000_000_000.0 < 30, is(true));
        }
    }

    /**
     * Only the standard OpenTelemetry variables: the spans go to that endpoint (a stand-in OTLP/HTTP receiver here)
     * under that service name, with no setting of ours.
     */
    @Test
    void theStandardOtelVariablesAloneSetTheExporterAndTheServiceName() throws Exception {
        List<byte[]> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            received.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        Map<String, String> env = new HashMap<>(platform.env);
        env.put("OTEL_SERVICE_NAME", "auth-as-the-operator-named-it");
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort());
        env.put("OTEL_BSP_SCHEDULE_DELAY", "100");
        try (ServiceProcess auth = ServiceProcess.start("auth", env, platform.dir)) {
            auth.awaitReady(Duration.ofSeconds(90));
            Platform.HTTP.send(java.net.http.HttpRequest.newBuilder(auth.uri("/.well-known/jwks.json")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            Instant deadline = Instant.now().plusSeconds(20);
            while (received.stream().noneMatch(body -> contains(body, "auth-as-the-operator-named-it"))
                    && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
        } finally {
            collector.stop(0);
        }
        assertThat("spans exported to OTEL_EXPORTER_OTLP_ENDPOINT under OTEL_SERVICE_NAME",
                received.stream().anyMatch(body -> contains(body, "auth-as-the-operator-named-it")
                        && contains(body, "/.well-known/jwks.json")), is(true));
    }

    private static boolean contains(byte[] body, String text) {
        return new String(body, StandardCharsets.ISO_8859_1).contains(text);
    }

    /** With an admin port (as in Kubernetes), health and metrics are there and nowhere on the public port. */
    @Test
    void healthAndMetricsMoveToTheAdminPortWhenOneIsSet() throws Exception {
        int admin;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            admin = free.getLocalPort();
        }
        Map<String, String> env = new HashMap<>(platform.env);
        env.put("ADMIN_PORT", Integer.toString(admin));
        try (ServiceProcess auth = ServiceProcess.start("auth", env, platform.dir)) {
            java.net.URI adminUri = java.net.URI.create("http://127.0.0.1:" + admin);
            Instant deadline = Instant.now().plusSeconds(90);
            int ready = 0;
            while (ready != 200 && Instant.now().isBefore(deadline)) {
                try {
                    ready = status(adminUri.resolve("/health/ready"));
                } catch (java.io.IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(ready, is(200));
            assertThat(status(adminUri.resolve("/metrics")), is(200));
            assertThat("the public port serves no health", status(auth.uri("/health/ready")), is(404));
            assertThat("the public port serves no metrics", status(auth.uri("/metrics")), is(404));
            assertThat("the public port serves the API", status(auth.uri("/.well-known/jwks.json")), is(200));
            assertThat("the admin port serves no API", status(adminUri.resolve("/.well-known/jwks.json")), is(404));
        }
    }

    private static int status(java.net.URI uri) throws Exception {
        return Platform.HTTP.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void theMailerRefusesToStartWithoutItsSmtpSettingsAndSaysWhich() throws Exception {
        Map<String, String> env = new HashMap<>(platform.env);
        env.put("SMTP_HOST", "");
        ServiceProcess mailer = ServiceProcess.start("mailer", env, platform.dir);
        assertThat(mailer.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS), is(true));
        assertThat(mailer.process().exitValue(), is(2));
        assertThat(Files.readString(mailer.log), containsString("smtp.host is required"));
    }
}
