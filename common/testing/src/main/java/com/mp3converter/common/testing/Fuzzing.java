package com.mp3converter.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.IntBinaryOperator;
import java.util.function.IntSupplier;

/**
 * What the fuzz tests (Jazzer's {@code @FuzzTest}) ask of every parser of a client's bytes beyond not crashing: a
 * refusal is the one it was meant to give, in words for a person; a body is read as a network delivers it.
 */
public final class Fuzzing {
    /** Words that would tell a client about our code rather than about its request. */
    private static final List<String> INTERNALS = List.of("Exception", "java.", "jdk.", "com.mp3converter", "\tat ",
            "NullPointer", "null");

    private Fuzzing() {
    }

    /** A refusal as a client may see it: a 4xx (never a 500) with a detail in words, naming none of our internals. */
    public static void assertRefusal(int status, String detail) {
        if (status < 400 || status > 499) {
            throw new AssertionError("a refusal must be a 4xx, not " + status + ": " + detail);
        }
        if (detail == null || detail.isBlank()) {
            throw new AssertionError("a " + status + " without words");
        }
        for (String word : INTERNALS) {
            if (detail.contains(word)) {
                throw new AssertionError("a refusal names our internals ('" + word + "'): " + detail);
            }
        }
    }

    /** A property of a parser, checked on one fuzz input. */
    @FunctionalInterface
    public interface Property {
        void check() throws Exception;
    }

    /**
     * Checks one of a parser's properties, picked by the input ({@code range}: the fuzzer's
     * {@code consumeInt(min, max)}, which takes the input's last byte), so one fuzz target gives each property of a
     * parser the same share of a session, and a seed replays the property it was written for.
     */
    public static void oneOf(IntBinaryOperator range, Property... properties) throws Exception {
        properties[range.applyAsInt(0, properties.length - 1)].check();
    }

    /** The bytes as a network delivers them: in reads of the sizes given (at least 1 byte each), counted. */
    public static Trickle trickle(byte[] data, IntSupplier readSizes) {
        return new Trickle(data, readSizes);
    }

    /** An input stream over bytes that returns them a few at a time and counts how many were taken. */
    public static final class Trickle extends InputStream {
        private final byte[] data;
        private final IntSupplier readSizes;
        private int pos;

        private Trickle(byte[] data, IntSupplier readSizes) {
            this.data = data;
            this.readSizes = readSizes;
        }

        /** How many bytes the reader took. */
        public int taken() {
            return pos;
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos >= data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, data.length - pos), Math.max(1, readSizes.getAsInt()));
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
