package com.mp3converter.gateway.upload;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Tells media containers from everything else by their first bytes (names and declared content types
 * lie: a WebM named .mp4 is still WebM). Needs at least {@link #BYTES_NEEDED} bytes when available.
 */
public final class MediaSniffer {
    public static final int BYTES_NEEDED = 512;

    private MediaSniffer() {
    }

    /** The container's content type, or empty when the bytes are not a media container we accept. */
    public static Optional<String> sniff(byte[] head, int length) {
        if (length >= 12 && ascii(head, 4, "ftyp")) {
            return Optional.of("video/mp4");
        }
        if (length >= 8 && (ascii(head, 4, "moov") || ascii(head, 4, "mdat") || ascii(head, 4, "wide")
                || ascii(head, 4, "free") || ascii(head, 4, "skip"))) {
            return Optional.of("video/quicktime");
        }
        if (length >= 4 && u(head, 0) == 0x1A && u(head, 1) == 0x45 && u(head, 2) == 0xDF && u(head, 3) == 0xA3) {
            return Optional.of("video/x-matroska");
        }
        if (length >= 12 && ascii(head, 0, "RIFF")) {
            if (ascii(head, 8, "AVI ")) {
                return Optional.of("video/x-msvideo");
            }
            if (ascii(head, 8, "WAVE")) {
                return Optional.of("audio/wav");
            }
        }
        if (length >= 12 && ascii(head, 0, "FORM") && (ascii(head, 8, "AIFF") || ascii(head, 8, "AIFC"))) {
            return Optional.of("audio/aiff");
        }
        if (length >= 4 && ascii(head, 0, "OggS")) {
            return Optional.of("audio/ogg");
        }
        if (length >= 4 && ascii(head, 0, "fLaC")) {
            return Optional.of("audio/flac");
        }
        if (length >= 3 && ascii(head, 0, "FLV")) {
            return Optional.of("video/x-flv");
        }
        if (length >= 4 && u(head, 0) == 0x30 && u(head, 1) == 0x26 && u(head, 2) == 0xB2 && u(head, 3) == 0x75) {
            return Optional.of("video/x-ms-asf");
        }
        if (length >= 4 && u(head, 0) == 0 && u(head, 1) == 0 && u(head, 2) == 1 && (u(head, 3) == 0xBA || u(head, 3) == 0xB3)) {
            return Optional.of("video/mpeg");
        }
        if (length >= 189 && u(head, 0) == 0x47 && u(head, 188) == 0x47) {
            return Optional.of("video/mp2t");
        }
        if (length >= 193 && u(head, 4) == 0x47 && u(head, 196 < length ? 196 : 4) == 0x47) {
            return Optional.of("video/mp2t"); // M2TS: 4-byte timestamp before each 188-byte packet
        }
        if (length >= 3 && ascii(head, 0, "ID3")) {
            return Optional.of("audio/mpeg");
        }
        if (length >= 2 && u(head, 0) == 0xFF && (u(head, 1) & 0xE0) == 0xE0) {
            return (u(head, 1) & 0x06) == 0 ? Optional.of("audio/aac") : Optional.of("audio/mpeg");
        }
        if (length >= 5 && ascii(head, 0, "#!AMR")) {
            return Optional.of("audio/amr");
        }
        return Optional.empty();
    }

    private static int u(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static boolean ascii(byte[] b, int offset, String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        if (b.length < offset + t.length) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            if (b[offset + i] != t[i]) {
                return false;
            }
        }
        return true;
    }
}
