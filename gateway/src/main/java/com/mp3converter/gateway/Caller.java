package com.mp3converter.gateway;

import com.mp3converter.common.http.ProblemException;
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
    private final Revocations revocations;

    public Caller(TokenVerifier verifier, Revocations revocations) {
        this.verifier = verifier;
        this.revocations = revocations;
    }

    public TokenClaims claims(ServerRequest req) {
        String token = BearerToken.from(req).orElseThrow(() -> {
            GatewayMetrics.tokenRejected("missing");
            return Problems.unauthorized("a Bearer token is required: log in with POST /login first");
        });
        TokenClaims claims;
        try {
            claims = verifier.verify(token);
        } catch (InvalidTokenException e) {
            GatewayMetrics.tokenRejected(e.reason());
            throw Problems.unauthorized(e.getMessage());
        }
        if (revocations.revoked(claims)) {
            GatewayMetrics.tokenRejected("revoked");
            throw Problems.unauthorized("this token was revoked (the account was disabled or deleted, or its password "
                    + "changed): log in again");
        }
        return claims;
    }

    /** The caller, who must have verified the account's address to make anything (uploads, webhooks). */
    public TokenClaims verified(ServerRequest req) {
        TokenClaims claims = claims(req);
        if (!claims.emailVerified()) {
            throw new ProblemException(403, "email-not-verified", "Address not verified",
                    "open the link we mailed to " + claims.email() + " first (POST /account/verify/resend sends a new "
                            + "one); if you verified it since this token was issued, log in again");
        }
        return claims;
    }

    public static Events.Owner owner(TokenClaims claims) {
        return new Events.Owner(claims.userId(), claims.email());
    }
}
