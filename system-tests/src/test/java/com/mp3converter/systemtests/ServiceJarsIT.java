package com.mp3converter.systemtests;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

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
