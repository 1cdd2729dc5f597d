package com.mp3converter.gateway;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;

import com.mp3converter.common.token.KeySource;

import io.helidon.security.jwt.jwk.Jwk;
import io.helidon.security.jwt.jwk.JwkKeys;

import jakarta.json.Json;

/**
 * Auth's JWKS, fetched and cached: auth is not on the request path. An unknown {@code kid} (a key
 * rotation) triggers a refetch, at most once per {@code minRefetch}; the cache is also refreshed
 * every {@code maxAge}. When auth is down, the keys already known keep working.
 */
public final class JwksKeys implements KeySource {
    private static final Logger LOG = Logger.getLogger(JwksKeys.class.getName());

    private final URI jwksUri;
    private final HttpClient http;
    private final Clock clock;
    private final Duration minRefetch;
    private final Duration maxAge;
    private volatile JwkKeys keys = JwkKeys.builder().build();
    private volatile Instant fetchedAt = Instant.EPOCH;
    private volatile Instant triedAt = Instant.EPOCH;

    public JwksKeys(URI jwksUri, Clock clock, Duration minRefetch, Duration maxAge) {
        this.jwksUri = jwksUri;
        this.clock = clock;
        this.minRefetch = minRefetch;
        this.maxAge = maxAge;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    public Optional<Jwk> key(String kid) {
        Instant now = clock.instant();
        Optional<Jwk> known = keys.forKeyId(kid);
        if (known.isPresent() && now.isBefore(fetchedAt.plus(maxAge))) {
            return known;
        }
        refresh(kid, now);
        return keys.forKeyId(kid); // after a failed fetch the keys are the ones known; after a fetch, a key auth dropped is gone
    }

    /** One fetch at a time; a request that waited for another's fetch uses what it brought instead of refusing. */
    private synchronized void refresh(String kid, Instant now) {
        if (keys.forKeyId(kid).isPresent() && now.isBefore(fetchedAt.plus(maxAge))
                || !now.isAfter(triedAt.plus(minRefetch))) {
            return;
        }
        triedAt = now;
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(jwksUri).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                LOG.warning(() -> "JWKS " + jwksUri + " answered " + response.statusCode());
                return;
            }
            try (var reader = Json.createReader(new StringReader(response.body()))) {
                keys = JwkKeys.create(reader.readObject());
            }
            fetchedAt = now;
        } catch (Exception e) {
            LOG.warning(() -> "cannot fetch the JWKS from " + jwksUri + ": " + e.getMessage());
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
