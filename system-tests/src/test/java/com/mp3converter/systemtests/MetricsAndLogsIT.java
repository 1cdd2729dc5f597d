package com.mp3converter.systemtests;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.mp3converter.common.http.Json;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/**
 * After exactly one job on a fresh platform, each service's /metrics shows values that match that job (histograms
 * with buckets, the HTTP request histogram by route on every service, the JVM's meters), the dashboard and alert
 * rules in docs/monitoring name only metrics that exist, every log line is an ECS object, and no log line of the
 * whole run holds a password, a token or a secret.
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
            Platform.awaitJobMails(email, 1, Duration.ofSeconds(60));
            Thread.sleep(1000);

            String gateway = metrics(platform.gateway);
            assertThat(value(gateway, "mp3_uploads_total"), is(1.0));
            assertThat(value(gateway, "mp3_upload_bytes_total"), is((double) size));
            assertThat(value(gateway, "mp3_upload_size_bytes_count"), is(1.0));
            assertThat(value(gateway, "mp3_token_rejections_total", "reason", "malformed"), is(1.0));
            assertThat(value(gateway, "mp3_publish_confirm_seconds_count"), is(1.0));
            assertThat(value(gateway, "mp3_outbox_pending"), is(0.0));
            assertThat("the one job is counted as DONE", value(gateway, "mp3_jobs_in_state", "state", "DONE"), is(1.0));
            assertThat(value(gateway, "mp3_jobs_in_state", "state", "QUEUED"), is(0.0));
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
            assertThat(value(mailer, "mp3_mail_results_total", "kind", "job.done", "outcome", "sent"), is(1.0));
            assertThat(value(mailer, "mp3_mail_results_total", "kind", "account.verify", "outcome", "sent"), is(1.0));
            assertThat(value(mailer, "mp3_consumer_offset"), is(0.0));
            assertThat("the address's verification and the job's mail", value(mailer, "mp3_smtp_send_seconds_count",
                    "outcome", "sent"), is(2.0));

            Map<String, String> scraped = Map.of("auth", auth, "gateway", gateway, "transcoder", transcoder,
                    "mailer", metrics(platform.running("mailer").getFirst()));
            scraped.forEach((service, text) -> {
                assertThat(service + " times its HTTP requests in a histogram by route", value(text,
                        "http_server_request_duration_seconds_bucket", "http_route", "/health/ready", "le", "+Inf"),
                        greaterThan(0.0));
                assertThat(service + " has the JVM's meters under their usual names",
                        value(text, "jvm_threads_live_threads"), greaterThan(0.0));
                value(text, "jvm_memory_used_bytes", "area", "heap");
            });
            assertThat(value(gateway, "http_server_request_duration_seconds_bucket", "http_route", "/upload",
                    "status_class", "2xx", "le", "+Inf"), is(1.0));
            assertThat("the upload's time is recorded", value(gateway, "http_server_request_duration_seconds_sum",
                    "http_route", "/upload", "status_class", "2xx"), greaterThan(0.0));
            assertThat(value(transcoder, "mp3_conversion_seconds_bucket", "le", "600.0"), is(1.0));
            assertThat(value(gateway, "mp3_publish_confirm_seconds_bucket", "le", "10.0"), is(1.0));
            assertEveryMetricTheMonitoringFilesNameIsPublished(String.join("\n", scraped.values()));

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
            assertLogLinesAreEcs(platform.dir);
        }
    }

    /** The dashboard's and the alert rules' expressions name only metrics the services publish. */
    private static void assertEveryMetricTheMonitoringFilesNameIsPublished(String scraped) throws Exception {
        Path monitoring = LocalServers.repoRoot().resolve("docs/monitoring");
        String expressions = Files.readString(monitoring.resolve("alerts.yaml"))
                + Files.readString(monitoring.resolve("grafana-dashboard.json"));
        Matcher names = Pattern.compile("\\b((?:mp3|http_server|jvm|process)_[a-z0-9_]+)").matcher(expressions);
        Set<String> named = new TreeSet<>();
        while (names.find()) {
            named.add(names.group(1));
        }
        assertThat(named.size(), greaterThan(10));
        List<String> missing = named.stream().filter(name -> !Pattern.compile("(?m)^" + name + "[{ ]").matcher(scraped).find())
                .toList();
        assertThat("metrics the dashboard or the alerts name but no service publishes", missing, empty());
    }

    /** Every service log line is one ECS object: @timestamp, log.level, message, service.name. */
    private static void assertLogLinesAreEcs(Path dir) throws Exception {
        Set<String> levels = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");
        int traced = 0;
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                for (String line : Files.readAllLines(log)) {
                    if (!line.startsWith("{")) {
                        continue; // the JVM's own lines before logging starts
                    }
                    var json = Json.MAPPER.readTree(line);
                    assertThat(line, json.path("@timestamp").asText().isEmpty(), is(false));
                    assertThat(line, levels.contains(json.path("log.level").asText()), is(true));
                    assertThat(line, json.has("message") && json.has("log.logger") && json.has("service.name"), is(true));
                    assertThat(line, json.path("ecs.version").asText(), is("8.11.0"));
                    traced += json.has("trace.id") && json.has("span.id") ? 1 : 0;
                }
            }
        }
        assertThat("some lines carry the trace of the work they were logged for", traced, greaterThan(0));
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
