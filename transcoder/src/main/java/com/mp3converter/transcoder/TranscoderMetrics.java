package com.mp3converter.transcoder;

import java.time.Duration;
import java.util.List;

import com.mp3converter.common.server.Histograms;
import com.mp3converter.transcoder.convert.ConversionException;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/** Conversion outcomes, duration, realtime factor and publish latency on /metrics. */
public final class TranscoderMetrics {
    private static final Tag SERVICE = Tag.create("service", "transcoder");

    private TranscoderMetrics() {
    }

    public static void converted(Duration took, double audioSeconds, boolean copied) {
        Histograms.timer("mp3_conversion_seconds", "Wall time of a conversion, GridFS read and write included",
                Histograms.CONVERSION, List.of(SERVICE, Tag.create("mode", copied ? "copy" : "encode"))).record(took);
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

    /** Every outcome and failure code at 0 from the start, so rates and alerts see them before the first one. */
    public static void initialize() {
        List.of("done", "failed", "malformed").forEach(TranscoderMetrics::jobs);
        List.of(ConversionException.NO_AUDIO, ConversionException.NOT_MEDIA, ConversionException.CORRUPT,
                ConversionException.UNSUPPORTED, ConversionException.IO, ConversionException.TOO_LONG,
                ConversionException.DEADLINE, "retries-exhausted")
                .forEach(TranscoderMetrics::failures);
        List.of("owner-had-turn", "long").forEach(TranscoderMetrics::wentBackCounter);
    }

    /** A job went to the back of its partition (FairShare), for this reason. */
    public static void wentBack(String reason) {
        wentBackCounter(reason).increment();
    }

    private static Counter wentBackCounter(String reason) {
        return Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_jobs_sent_back_total")
                .description("Jobs sent to the back of their partition so others go first, by reason")
                .tags(List.of(SERVICE, Tag.create("reason", reason))));
    }

    public static void outcome(String outcome) {
        jobs(outcome).increment();
    }

    public static void failed(String code) {
        failures(code).increment();
    }

    private static Counter jobs(String outcome) {
        return Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_jobs_total").description("Jobs finished by outcome")
                .tags(List.of(SERVICE, Tag.create("outcome", outcome))));
    }

    private static Counter failures(String code) {
        return Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_job_failures_total")
                .description("Failed jobs and retried attempts by reason code")
                .tags(List.of(SERVICE, Tag.create("code", code))));
    }

    public static void publishConfirmed(Duration latency) {
        Histograms.timer("mp3_publish_confirm_seconds", "Time from send to broker confirm of a conversion outcome",
                Histograms.PUBLISH_CONFIRM, List.of(SERVICE, Tag.create("stream", "job-events"))).record(latency);
    }

}
