package com.mp3converter.auth;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.Problems;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /revocations?since=<instant>}: the users whose tokens were revoked (disabled) after {@code since}, in
 * the order they were revoked (times from the database's clock), for the gateway to poll so a disabled user's tokens stop working within seconds without auth on every request. For
 * the gateway only: the ingress routes nothing to auth, and in the mesh only the gateway may call it.
 */
final class RevocationService implements HttpService {
    private final UserStore users;

    RevocationService(UserStore users) {
        this.users = users;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::since);
    }

    private void since(ServerRequest req, ServerResponse res) {
        Instant since;
        try {
            since = req.query().first("since").map(Instant::parse).orElse(Instant.EPOCH);
        } catch (DateTimeParseException e) {
            throw Problems.badRequest("'since' must be an instant such as 2026-12-01T10:00:00Z");
        }
        Json.send(res, Map.of("revocations", users.revocationsSince(since)));
    }
}
