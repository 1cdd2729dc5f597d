package com.mp3converter.common.token;

import java.util.Optional;

import com.mp3converter.common.http.Headers;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/** Reads {@code Authorization: Bearer ...}; two Authorization headers are a 400, not a guess. */
public final class BearerToken {
    private BearerToken() {
    }

    public static Optional<String> from(ServerRequest req) {
        return Headers.single(req, HeaderNames.AUTHORIZATION)
                .map(String::trim)
                .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(v -> v.substring(7).trim())
                .filter(v -> !v.isEmpty());
    }
}
