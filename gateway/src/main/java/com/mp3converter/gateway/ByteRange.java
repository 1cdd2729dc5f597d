package com.mp3converter.gateway;

import java.util.Optional;
import java.util.regex.Pattern;

/** A single {@code Range: bytes=...} request resolved against a file size (RFC 9110 §14.1.2). */
public record ByteRange(long start, long end) {
    private static final Pattern DIGITS = Pattern.compile("[0-9]{0,18}");

    public long length() {
        return end - start + 1;
    }

    /** Thrown when the range cannot be satisfied for this size: answered with 416. */
    public static final class Unsatisfiable extends Exception {
        public Unsatisfiable() {
            super(null, null, false, false);
        }
    }

    /**
     * The range to serve, empty to serve the whole file (no header, another unit, several ranges or a
     * syntax we ignore as the RFC allows), or {@link Unsatisfiable}.
     */
    public static Optional<ByteRange> parse(String header, long size) throws Unsatisfiable {
        if (header == null) {
            return Optional.empty();
        }
        String value = header.trim();
        if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return Optional.empty();
        }
        String spec = value.substring(6).trim();
        if (spec.contains(",")) {
            return Optional.empty();
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        String first = spec.substring(0, dash).trim();
        String last = spec.substring(dash + 1).trim();
        if (!DIGITS.matcher(first).matches() || !DIGITS.matcher(last).matches()) {
            return Optional.empty(); // positions are digits only: "+5", "-5" or "0x10" is not a byte range
        }
        try {
            if (first.isEmpty()) {
                if (last.isEmpty()) {
                    return Optional.empty();
                }
                long suffix = Long.parseLong(last);
                if (suffix <= 0 || size == 0) {
                    throw new Unsatisfiable();
                }
                return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1));
            }
            long start = Long.parseLong(first);
            long end = last.isEmpty() ? size - 1 : Long.parseLong(last);
            if (start >= size) {
                throw new Unsatisfiable();
            }
            if (end < start) {
                return Optional.empty();
            }
            return Optional.of(new ByteRange(start, Math.min(end, size - 1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
