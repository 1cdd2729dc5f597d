package com.mp3converter.systemtests;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.mp3converter.common.http.Json;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/**
 * After exactly one job on a fresh platform, each service's /metrics shows values that match that job,
 * and no log line of the whole run holds a password, a token or a secret.
 */
class MetricsAndLogsIT {

    @Test
    void metricsMatchTheJobAndLogsHoldNoSecret() throws Exception {
        try (Platform platform = Platform.start()) {
            String email = platform.newUser("metrics");
            String token = platform.login(email);
            Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs")).header("Authorization", "Bearer not.a.token")
                    .build(), HttpResponse.BodyHandlers.discarding());
            Path sample = TestMedia.path(Sample.OGG_OPUS_51);
            long size = Files.size(sample);
            String boundary = "m" + LocalServers.unique();
            HttpResponse<String> accepted = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.concat(
                            HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.ogg\"\r\n\r\n"),
                            HttpRequest.BodyPublishers.ofFile(sample),
                            HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            String jobId = Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
            platform.awaitFinished(token, jobId, Duration.ofSeconds(90));
            Platform.awaitMail(email, 1, Duration.ofSeconds(60));
            Thread.sleep(1000);

            String gateway = metrics(platform.gateway);
            assertThat(value(gateway, "mp3_uploads_total"), is(1.0));
            assertThat(value(gateway, "mp3_upload_bytes_total"), is((double) size));
            assertThat(value(gateway, "mp3_upload_size_bytes_count"), is(1.0));
            assertThat(value(gateway, "mp3_token_rejections_total", "reason", "malformed"), is(1.0));
            assertThat(value(gateway, "mp3_publish_confirm_seconds_count"), is(1.0));
            assertThat(value(gateway, "mp3_outbox_pending"), is(0.0));
            assertThat(value(gateway, "mp3_jobs_in_state", "state", "DONE"), greaterThanOrEqualTo(0.0));
            String auth = metrics(platform.auth);
            assertThat(value(auth, "mp3_auth_logins_total", "outcome", "success"), is(1.0));
            assertThat(value(auth, "mp3_auth_signups_total", "outcome", "created"), is(1.0));
            ServiceProcess transcoderProcess = platform.running("transcoder").getFirst();
            String transcoder = metrics(transcoderProcess);
            assertThat(value(transcoder, "mp3_jobs_total", "outcome", "done"), is(1.0));
            assertThat(value(transcoder, "mp3_conversion_seconds_count", "mode", "encode"), is(1.0));
            assertThat(value(transcoder, "mp3_conversion_realtime_factor_count"), is(1.0));
            assertThat(value(transcoder, "mp3_conversion_realtime_factor_sum"), greaterThan(1.0));
            assertThat(value(transcoder, "mp3_publish_confirm_seconds_count", "stream", "job-events"), is(1.0));
            assertThat(value(transcoder, "mp3_consumer_lag_messages"), is(0.0));
            String mailer = metrics(platform.running("mailer").getFirst());
            assertThat(value(mailer, "mp3_mail_results_total", "outcome", "sent"), is(1.0));
            assertThat(value(mailer, "mp3_consumer_offset"), is(0.0));

            List<String> secrets = new ArrayList<>(List.of(Platform.PASSWORD, token, platform.env.get("AUTH_ADMIN_PASSWORD"),
                    platform.env.get("DB_PASSWORD"), platform.env.get("RABBITMQ_PASSWORD"), token.split("\\.")[2]));
            List<String> leaks = new ArrayList<>();
            try (Stream<Path> logs = Files.list(platform.dir)) {
                for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                    List<String> lines = Files.readAllLines(log);
                    assertThat(log + " has log lines", lines.size(), greaterThan(3));
                    for (String line : lines) {
                        for (String secret : secrets) {
                            if (line.contains(secret)) {
                                leaks.add(log.getFileName() + ": " + line.substring(0, Math.min(200, line.length())));
                            }
                        }
                        if (line.contains("eyJ") || line.contains("Authorization") || line.contains("argon2id$")) {
                            leaks.add(log.getFileName() + " (token or hash shape): " + line.substring(0, Math.min(200, line.length())));
                        }
                    }
                }
            }
            assertThat(String.join("\n", leaks), leaks, empty());
        }
    }

    private static String metrics(ServiceProcess service) throws Exception {
        return Platform.HTTP.send(HttpRequest.newBuilder(service.uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of the first sample of this metric whose labels contain the given pairs. */
    private static double value(String metrics, String name, String... labels) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> {
                    for (int i = 0; i + 1 < labels.length; i += 2) {
                        if (!l.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
                            return false;
                        }
                    }
                    return true;
                })
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " " + Map.of() + " in:\n" + metrics.lines()
                        .filter(l -> l.startsWith("mp3_")).toList()));
    }
}
