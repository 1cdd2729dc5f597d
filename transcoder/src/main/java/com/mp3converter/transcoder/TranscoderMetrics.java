package com.mp3converter.transcoder;

import java.time.Duration;
import java.util.List;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/** Conversion outcomes, duration, realtime factor and publish latency on /metrics. */
public final class TranscoderMetrics {
    private static final Tag SERVICE = Tag.create("service", "transcoder");

    private TranscoderMetrics() {
    }

    public static void converted(Duration took, double audioSeconds, boolean copied) {
        Metrics.globalRegistry().getOrCreate(Timer.builder("mp3_conversion_seconds")
                .description("Wall time of a conversion, GridFS read and write included")
                .tags(List.of(SERVICE, Tag.create("mode", copied ? "copy" : "encode")))).record(took);
        if (took.toNanos() > 0) {
            Metrics.globalRegistry().getOrCreate(DistributionSummary.builder("mp3_conversion_realtime_factor")
                    .description("Seconds of audio converted per second of wall time").tags(List.of(SERVICE)))
                    .record(audioSeconds / (took.toNanos() / 1e9));
        }
    }

    /** Which MP3 encoder this transcoder uses: 1 for {@code system} (libmp3lame.so.0) or {@code bundled}. */
    public static void encoder(String library, String version) {
        Metrics.globalRegistry().getOrCreate(io.helidon.metrics.api.Gauge.builder("mp3_encoder_info", () -> 1)
                .description("The MP3 encoder in use: the system's LAME, or the slower one bundled with FFmpeg")
                .tags(List.of(SERVICE, Tag.create("library", library), Tag.create("version", version))));
    }

    public static void outcome(String outcome) {
        Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_jobs_total").description("Jobs finished by outcome")
                .tags(List.of(SERVICE, Tag.create("outcome", outcome)))).increment();
    }

    public static void failed(String code) {
        Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_job_failures_total")
                .description("Failed jobs and retried attempts by reason code")
                .tags(List.of(SERVICE, Tag.create("code", code)))).increment();
    }

    public static void publishConfirmed(Duration latency) {
        Metrics.globalRegistry().getOrCreate(Timer.builder("mp3_publish_confirm_seconds")
                .description("Time from send to broker confirm of a conversion outcome")
                .tags(List.of(SERVICE, Tag.create("stream", "job-events")))).record(latency);
    }

}
