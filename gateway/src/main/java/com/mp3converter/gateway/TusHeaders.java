package com.mp3converter.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import com.mp3converter.common.http.Problems;

/** The values of tus request headers, read strictly: anything else is a 400 that says what was expected. */
final class TusHeaders {
    static final int MAX_METADATA_CHARS = 4096;

    private TusHeaders() {
    }

    /** {@code Upload-Length} and {@code Upload-Offset}: a whole number of bytes, digits only. */
    static long bytes(String label, String value) {
        String text = value.trim();
        if (!text.matches("[0-9]{1,18}")) {
            throw Problems.badRequest(label + " must be a whole number of bytes, not '" + clip(text) + "'");
        }
        return Long.parseLong(text);
    }

    /** {@code Upload-Metadata}: comma-separated {@code key base64value} pairs (a key alone has no value). */
    static Map<String, String> metadata(String header) {
        Map<String, String> pairs = new HashMap<>();
        if (header.isBlank()) {
            return pairs;
        }
        if (header.length() > MAX_METADATA_CHARS) {
            throw Problems.badRequest("Upload-Metadata is longer than " + MAX_METADATA_CHARS + " characters");
        }
        for (String pair : header.split(",")) {
            String[] parts = pair.trim().split(" ", -1);
            if (parts.length > 2 || parts[0].isEmpty() || !parts[0].chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
                throw Problems.badRequest("Upload-Metadata must be comma-separated 'key base64value' pairs");
            }
            String value = "";
            if (parts.length == 2) {
                try {
                    value = new String(Base64.getDecoder().decode(parts[1]), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw Problems.badRequest("the Upload-Metadata value of '" + clip(parts[0]) + "' is not base64");
                }
            }
            if (pairs.put(parts[0], value) != null) {
                throw Problems.badRequest("Upload-Metadata names '" + clip(parts[0]) + "' twice");
            }
        }
        return pairs;
    }

    private static String clip(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "…" : text;
    }
}
