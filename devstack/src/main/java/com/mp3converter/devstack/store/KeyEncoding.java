package com.mp3converter.devstack.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * BSON values as bytes whose unsigned order is MongoDB's order of the values (types bracketed as MongoDB
 * brackets them: null, numbers, strings, documents, arrays, binary, ObjectId, booleans, dates, ...): the keys of
 * the store's documents and indexes. Values MongoDB finds equal get equal bytes (1, 1L and 1.0 alike); a few
 * distinct ones may share bytes (longs beyond 2^53 are compared as doubles), which is safe because every
 * document found through a key is matched against the whole query again. Each value's bytes are prefix-free,
 * so a descending key part is its bytes complemented.
 */
final class KeyEncoding {
    static final byte MIN_KEY = 0x01;
    static final byte NULL = 0x05;
    static final byte NUMBER = 0x10;
    static final byte STRING = 0x14;
    static final byte DOCUMENT = 0x18;
    static final byte ARRAY = 0x1C;
    static final byte BINARY = 0x20;
    static final byte OBJECT_ID = 0x24;
    static final byte BOOLEAN = 0x28;
    static final byte DATE = 0x2C;
    static final byte TIMESTAMP = 0x30;
    static final byte REGEX = 0x34;
    static final byte OTHER = 0x38;
    static final byte MAX_KEY = 0x3F;
    private static final byte END = 0x00;
    private static final byte MORE = 0x01;

    private KeyEncoding() {
    }

    /** A growable buffer for one key. */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(32);

        Builder add(Object value, boolean ascending) {
            if (ascending) {
                write(value, out);
            } else {
                ByteArrayOutputStream part = new ByteArrayOutputStream(16);
                write(value, part);
                for (byte b : part.toByteArray()) {
                    out.write(~b);
                }
            }
            return this;
        }

        Builder addRaw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** One value's key, ascending. */
    static byte[] of(Object value) {
        return new Builder().add(value, true).bytes();
    }

    /** The type bracket a value sorts in (its first byte): range bounds stay inside their bound's bracket. */
    static byte bracket(Object value) {
        return of(value)[0];
    }

    private static void write(Object value, ByteArrayOutputStream out) {
        if (value == null || value instanceof Missing) {
            out.write(NULL);
        } else if (value instanceof MinKey) {
            out.write(MIN_KEY);
        } else if (value instanceof MaxKey) {
            out.write(MAX_KEY);
        } else if (value instanceof Number n) {
            number(n.doubleValue(), out);
        } else if (value instanceof String s) {
            out.write(STRING);
            string(s, out);
        } else if (value instanceof Map<?, ?> document) {
            out.write(DOCUMENT);
            for (Map.Entry<?, ?> entry : document.entrySet()) {
                out.write(MORE);
                string(String.valueOf(entry.getKey()), out);
                write(entry.getValue(), out);
            }
            out.write(END);
        } else if (value instanceof Collection<?> array) {
            out.write(ARRAY);
            for (Object element : array) {
                out.write(MORE);
                write(element, out);
            }
            out.write(END);
        } else if (value instanceof BinData binary) {
            binary(0, binary.getData(), out);
        } else if (value instanceof UUID uuid) {
            binary(4, uuidBytes(uuid), out);
        } else if (value instanceof LegacyUUID uuid) {
            binary(3, uuidBytes(uuid.getUuid()), out);
        } else if (value instanceof ObjectId id) {
            out.write(OBJECT_ID);
            out.writeBytes(id.toByteArray());
        } else if (value instanceof Boolean b) {
            out.write(BOOLEAN);
            out.write(b ? 1 : 0);
        } else if (value instanceof Instant instant) {
            out.write(DATE);
            longBigEndian(instant.toEpochMilli() ^ Long.MIN_VALUE, out);
        } else if (value instanceof BsonTimestamp timestamp) {
            out.write(TIMESTAMP);
            longBigEndian(timestamp.getValue(), out);
        } else if (value instanceof BsonRegularExpression regex) {
            out.write(REGEX);
            string(regex.getPattern(), out);
            string(regex.getOptions(), out);
        } else {
            out.write(OTHER);
            string(value.getClass().getName() + ":" + value, out);
        }
    }

    /** Doubles in sortable form; NaN first, as MongoDB sorts it; -0.0 as 0.0. */
    private static void number(double d, ByteArrayOutputStream out) {
        out.write(NUMBER);
        if (Double.isNaN(d)) {
            longBigEndian(0, out);
            return;
        }
        long bits = Double.doubleToLongBits(d == 0.0 ? 0.0 : d);
        longBigEndian(bits < 0 ? ~bits : bits ^ Long.MIN_VALUE, out);
    }

    /** UTF-8 (MongoDB compares strings by their UTF-8 bytes), 0x00 escaped as 0x00 0xFF, ended by 0x00 0x00. */
    private static void string(String s, ByteArrayOutputStream out) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.write(b);
            if (b == 0) {
                out.write(0xFF);
            }
        }
        out.write(0);
        out.write(0);
    }

    /** MongoDB orders binary data by length, then subtype, then bytes. */
    private static void binary(int subtype, byte[] data, ByteArrayOutputStream out) {
        out.write(BINARY);
        out.write(data.length >>> 24);
        out.write(data.length >>> 16);
        out.write(data.length >>> 8);
        out.write(data.length);
        out.write(subtype);
        out.writeBytes(data);
    }

    private static byte[] uuidBytes(UUID uuid) {
        byte[] bytes = new byte[16];
        long msb = uuid.getMostSignificantBits();
        long lsb = uuid.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (msb >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (lsb >>> (56 - 8 * i));
        }
        return bytes;
    }

    private static void longBigEndian(long v, ByteArrayOutputStream out) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (v >>> shift));
        }
    }

    /** The smallest key above every key that starts with {@code prefix}, or null when there is none. */
    static byte[] after(byte[] prefix) {
        byte[] next = prefix.clone();
        for (int i = next.length - 1; i >= 0; i--) {
            if (next[i] != (byte) 0xFF) {
                next[i]++;
                return java.util.Arrays.copyOf(next, i + 1);
            }
        }
        return null;
    }

    /** Keys in order: unsigned lexicographic, as the store compares them. */
    static int compare(byte[] a, byte[] b) {
        return java.util.Arrays.compareUnsigned(a, b);
    }
}
