package com.mp3converter.common.stream;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/**
 * Per stream partition: the last offset handled and the lag behind the stream's last committed chunk
 * (a lower bound: the chunk may hold a few more messages).
 */
public final class ConsumerMetrics {
    private static final Map<String, AtomicLong[]> PARTITIONS = new ConcurrentHashMap<>();

    private ConsumerMetrics() {
    }

    static void handled(String consumer, String stream, long offset, long committedChunkId) {
        AtomicLong[] values = PARTITIONS.computeIfAbsent(consumer + "|" + stream, key -> register(consumer, stream));
        values[0].set(offset);
        values[1].set(Math.max(0, committedChunkId - offset));
    }

    private static AtomicLong[] register(String consumer, String stream) {
        AtomicLong offset = new AtomicLong();
        AtomicLong lag = new AtomicLong();
        List<Tag> tags = List.of(Tag.create("consumer", consumer), Tag.create("stream", stream));
        Metrics.globalRegistry().getOrCreate(Gauge.builder("mp3_consumer_offset", offset, AtomicLong::doubleValue)
                .description("Last offset handled, per stream partition").tags(tags));
        Metrics.globalRegistry().getOrCreate(Gauge.builder("mp3_consumer_lag_messages", lag, AtomicLong::doubleValue)
                .description("Messages behind the last committed chunk, per stream partition").tags(tags));
        return new AtomicLong[] {offset, lag};
    }
}
