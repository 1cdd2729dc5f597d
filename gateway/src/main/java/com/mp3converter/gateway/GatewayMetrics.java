package com.mp3converter.gateway;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import com.mp3converter.gateway.jobs.JobState;

import com.mp3converter.common.server.Histograms;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/** The gateway's own metrics on /metrics (next to Helidon's JVM and HTTP ones). */
public final class GatewayMetrics {
    private static final Tag SERVICE = Tag.create("service", "gateway");

    private GatewayMetrics() {
    }

    public static void uploaded(long bytes) {
        counter("mp3_uploads_total", "Uploads accepted").increment();
        counter("mp3_upload_bytes_total", "Bytes of accepted uploads").increment(bytes);
        Metrics.globalRegistry().getOrCreate(DistributionSummary.builder("mp3_upload_size_bytes")
                .description("Size of accepted uploads").baseUnit("bytes").tags(List.of(SERVICE))
                .publishPercentileHistogram(true)).record(bytes);
    }

    /** Every refusal reason at 0 from the start, so rates and alerts see them before the first one. */
    public static void initialize() {
        List.of("too-large", "not-multipart", "bad-multipart", "empty-file", "not-media", "bad-options",
                "quota-exceeded", "too-many-jobs", "incomplete").forEach(GatewayMetrics::refusals);
    }

    public static void uploadRefused(String reason) {
        refusals(reason).increment();
    }

    private static Counter refusals(String reason) {
        return Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_uploads_refused_total")
                .description("Uploads refused by reason").tags(List.of(SERVICE, Tag.create("reason", reason))));
    }

    public static void tokenRejected(String reason) {
        Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_token_rejections_total")
                .description("Tokens refused by reason").tags(List.of(SERVICE, Tag.create("reason", reason)))).increment();
    }

    public static void publishConfirmed(String outbox, Duration latency) {
        Histograms.timer("mp3_publish_confirm_seconds", "Time from send to broker confirm of an outbox message",
                Histograms.PUBLISH_CONFIRM, List.of(SERVICE, Tag.create("stream", outbox.endsWith("video") ? "videos" : "notifications")))
                .record(latency);
    }

    public static void publishFailed() {
        counter("mp3_publish_failures_total", "Outbox sends the broker did not confirm").increment();
    }

    public static void outboxPending(String outbox, Supplier<Long> pending) {
        Metrics.globalRegistry().getOrCreate(Gauge.builder("mp3_outbox_pending", () -> pending.get())
                .description("Messages recorded with what caused them and not yet confirmed by the broker, per outbox")
                .tags(List.of(SERVICE, Tag.create("outbox", outbox))));
    }

    /** How stale the revocations list is: a disabled user's tokens work until the next successful poll. */
    public static void revocationsAge(Supplier<Long> seconds) {
        Metrics.globalRegistry().getOrCreate(Gauge.builder("mp3_revocations_age_seconds", () -> seconds.get())
                .description("Seconds since the gateway last fetched the revoked users from auth")
                .tags(List.of(SERVICE)));
    }

    /** Jobs per state across all users, counted at most every 15 s (a scrape must stay cheap). */
    public static void jobsByState(java.util.function.Function<JobState, Long> count) {
        for (JobState state : JobState.values()) {
            CachedCount cached = new CachedCount(() -> count.apply(state));
            Metrics.globalRegistry().getOrCreate(Gauge.builder("mp3_jobs_in_state", cached, CachedCount::value)
                    .description("Jobs by state").tags(List.of(SERVICE, Tag.create("state", state.name()))));
        }
    }

    private static final class CachedCount {
        private final Supplier<Long> source;
        private volatile long value;
        private volatile long readAt;

        CachedCount(Supplier<Long> source) {
            this.source = source;
        }

        double value() {
            long now = System.nanoTime();
            if (readAt == 0 || now - readAt > Duration.ofSeconds(15).toNanos()) {
                try {
                    value = source.get();
                    readAt = now;
                } catch (RuntimeException e) {
                    // storage unavailable: keep the last value
                }
            }
            return value;
        }
    }

    private static Counter counter(String name, String description) {
        return Metrics.globalRegistry().getOrCreate(Counter.builder(name).description(description).tags(List.of(SERVICE)));
    }
}
