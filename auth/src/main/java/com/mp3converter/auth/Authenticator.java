package com.mp3converter.auth;

import java.util.Optional;

import com.mp3converter.common.http.Problems;
import com.mp3converter.common.token.BearerToken;
import com.mp3converter.common.token.InvalidTokenException;
import com.mp3converter.common.token.TokenClaims;
import com.mp3converter.common.token.TokenVerifier;

import io.helidon.webserver.http.ServerRequest;

/** The caller of an auth endpoint from its Bearer token; a disabled or deleted account, or a revoked token, is refused. */
public final class Authenticator {
    private final TokenVerifier verifier;
    private final UserStore users;

    public Authenticator(TokenVerifier verifier, UserStore users) {
        this.verifier = verifier;
        this.users = users;
    }

    public TokenClaims claims(ServerRequest req) {
        String token = BearerToken.from(req).orElseThrow(() -> Problems.unauthorized("a Bearer token is required"));
        try {
            return verifier.verify(token);
        } catch (InvalidTokenException e) {
            AuthMetrics.tokenRejected(e.reason());
            throw Problems.unauthorized(e.getMessage());
        }
    }

    /** The caller's current account; a token of a disabled account, or issued before it was disabled, opens nothing. */
    public User user(ServerRequest req) {
        return account(claims(req));
    }

    /** The claims of a token whose account exists and accepts it (see {@link #user}). */
    public TokenClaims current(ServerRequest req) {
        TokenClaims claims = claims(req);
        account(claims);
        return claims;
    }

    private User account(TokenClaims claims) {
        Optional<User> user = users.byId(claims.userId());
        if (user.isEmpty() || !user.get().accepts(claims.issuedAt())) {
            AuthMetrics.tokenRejected("account_disabled");
            throw Problems.unauthorized("this account is disabled or no longer exists, or the token was revoked");
        }
        return user.get();
    }

    public User admin(ServerRequest req) {
        User user = user(req);
        if (!user.roles().contains(User.ROLE_ADMIN)) {
            throw Problems.forbidden("this needs the admin role");
        }
        return user;
    }
}
