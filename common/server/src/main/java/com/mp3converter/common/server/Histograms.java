package com.mp3converter.common.server;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * Latency histograms with buckets fit for what each measures: Prometheus can add buckets across replicas (a summary's
 * quantiles cannot be) and compute any quantile from them ({@code histogram_quantile}).
 */
public final class Histograms {
    /** HTTP requests: a few milliseconds for most, seconds for uploads and downloads. */
    public static final Duration[] HTTP = millis(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 120_000);
    /** A broker's publish confirm. */
    public static final Duration[] PUBLISH_CONFIRM = millis(2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000);
    /** A whole conversion, GridFS read and write included: a clip takes a second, a film minutes. */
    public static final Duration[] CONVERSION = millis(500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000,
            300_000, 600_000, 1_800_000);
    /** An SMTP send: connect, greet, authenticate, transfer. */
    public static final Duration[] SMTP = millis(50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000);

    private Histograms() {
    }

    /** The timer of this name and tags, publishing these buckets. */
    public static Timer timer(String name, String description, Duration[] buckets, List<Tag> tags) {
        return Metrics.globalRegistry().getOrCreate(Timer.builder(name).description(description).buckets(buckets)
                .tags(tags));
    }

    private static Duration[] millis(long... bounds) {
        return Arrays.stream(bounds).mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    }
}
