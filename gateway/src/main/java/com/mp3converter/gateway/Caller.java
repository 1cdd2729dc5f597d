package com.mp3converter.gateway;

import com.mp3converter.common.http.Problems;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.token.BearerToken;
import com.mp3converter.common.token.InvalidTokenException;
import com.mp3converter.common.token.TokenClaims;
import com.mp3converter.common.token.TokenVerifier;

import io.helidon.webserver.http.ServerRequest;

/** The authenticated caller of a gateway request, verified locally against auth's keys. */
public final class Caller {
    private final TokenVerifier verifier;

    public Caller(TokenVerifier verifier) {
        this.verifier = verifier;
    }

    public TokenClaims claims(ServerRequest req) {
        String token = BearerToken.from(req).orElseThrow(() -> {
            GatewayMetrics.tokenRejected("missing");
            return Problems.unauthorized("a Bearer token is required: log in with POST /login first");
        });
        try {
            return verifier.verify(token);
        } catch (InvalidTokenException e) {
            GatewayMetrics.tokenRejected(e.reason());
            throw Problems.unauthorized(e.getMessage());
        }
    }

    public static Events.Owner owner(TokenClaims claims) {
        return new Events.Owner(claims.userId(), claims.email());
    }
}
