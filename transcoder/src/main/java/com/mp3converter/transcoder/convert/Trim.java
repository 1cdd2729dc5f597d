package com.mp3converter.transcoder.convert;

/**
 * One decoding pass's cut to the sample: which samples of each decoded frame to drop before the start
 * ({@code from}, µs in the source's timeline; {@link Long#MIN_VALUE}: none) and how many to keep until the end
 * ({@code to}). Used by the decoding thread only.
 */
final class Trim {
    private final long from;
    private final long to;
    private final int rate;
    private long first = Long.MIN_VALUE;
    private long limit = Long.MAX_VALUE;
    private long delivered;

    Trim(long from, long to, int rate) {
        this.from = from;
        this.to = to;
        this.rate = rate;
    }

    /**
     * How many of the {@code frames} samples of a frame decoded at {@code timestamp} (µs) come before the start. A
     * negative timestamp is the codec's delay (Opus pre-skip, AAC priming), which the decoder has already dropped:
     * the samples it hands over begin at 0, where the container's chapters and the owner's times count from.
     */
    long skip(long decodedAt, int frames) {
        if (first != Long.MIN_VALUE) {
            return 0;
        }
        long timestamp = Math.max(0, decodedAt);
        long skip = from == Long.MIN_VALUE ? 0 : Math.max(0, Math.round((from - timestamp) * (double) rate / 1e6));
        if (skip >= frames) {
            return frames;
        }
        first = timestamp + Math.round(skip * 1e6 / rate);
        if (to != Long.MAX_VALUE) {
            limit = Math.max(0, Math.round((to - first) * (double) rate / 1e6));
        }
        return skip;
    }

    /** Of {@code available} samples after the start, how many to keep (the rest are past the end). */
    int keep(long available) {
        if (first == Long.MIN_VALUE || available <= 0) {
            return 0;
        }
        int keep = (int) Math.min(available, limit - delivered);
        delivered += keep;
        return keep;
    }

    boolean done() {
        return delivered >= limit;
    }

    /** The time of the first sample kept (µs), or 0 when none was. */
    long firstMicros() {
        return first == Long.MIN_VALUE ? 0 : first;
    }

    /** Where progress counts from. */
    long from() {
        return first == Long.MIN_VALUE ? 0 : first;
    }
}
