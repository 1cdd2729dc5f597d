package com.mp3converter.gateway;

import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import com.mp3converter.common.server.Backoff;
import com.mp3converter.common.token.TokenClaims;

import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * Which users' tokens auth has revoked (a disabled account), polled from auth's {@code /revocations} every
 * {@code interval}: a token issued at or before its user's revocation is refused within seconds, and auth stays off
 * the request path. Each poll asks again from a little before the newest revocation seen, so one committed late
 * with an earlier timestamp is not missed. While auth is down the revocations already known keep applying.
 */
public final class Revocations implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Revocations.class.getName());
    private static final Duration OVERLAP = Duration.ofSeconds(30);

    private final URI revocations;
    private final Duration interval;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Instant> revokedBefore = new ConcurrentHashMap<>();
    private volatile Instant newest = Instant.EPOCH;
    private volatile Instant polledAt = Instant.EPOCH;
    private volatile Thread poller;

    public Revocations(URI auth, Duration interval, Clock clock) {
        this.revocations = auth.resolve("/revocations");
        this.interval = interval;
        this.clock = clock;
        GatewayMetrics.revocationsAge(() -> Duration.between(polledAt, clock.instant()).toSeconds());
    }

    public void start() {
        poller = Thread.ofVirtual().name("revocations").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                poll();
                if (!Backoff.sleep(interval)) {
                    return;
                }
            }
        });
    }

    /** Every token of this user is refused from now on, here at once (the account was deleted through this replica). */
    public void revokeAll(String userId) {
        revokedBefore.put(userId, Instant.MAX);
    }

    /** True when the token was issued at or before its user's revocation. */
    public boolean revoked(TokenClaims claims) {
        Instant before = revokedBefore.get(claims.userId());
        return before != null && !claims.issuedAt().isAfter(before);
    }

    void poll() {
        Instant since = newest == Instant.EPOCH ? Instant.EPOCH : newest.minus(OVERLAP);
        URI uri = URI.create(revocations + "?since=" + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8));
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                LOG.warning(() -> "auth answered " + response.statusCode() + " for the revocations");
                return;
            }
            try (var reader = Json.createReader(new StringReader(response.body()))) {
                for (JsonObject revocation : reader.readObject().getJsonArray("revocations").getValuesAs(JsonObject.class)) {
                    Instant at = Instant.parse(revocation.getString("revokedBefore"));
                    revokedBefore.merge(revocation.getString("userId"), at, (a, b) -> a.isAfter(b) ? a : b);
                    if (at.isAfter(newest)) {
                        newest = at;
                    }
                }
            }
            polledAt = clock.instant();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warning(() -> "cannot fetch the revocations from auth (the ones known still apply): " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.interrupt();
        }
    }
}
