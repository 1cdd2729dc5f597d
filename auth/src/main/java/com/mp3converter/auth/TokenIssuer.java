package com.mp3converter.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import io.helidon.security.jwt.Jwt;
import io.helidon.security.jwt.SignedJwt;

/** Issues ES256 access tokens: iss, aud, sub (user id), email, email_verified, roles, iat, nbf, exp, jti, kid. */
public final class TokenIssuer {
    private final SigningKeys keys;
    private final String issuer;
    private final String audience;
    private final Duration ttl;
    private final Clock clock;

    public TokenIssuer(SigningKeys keys, String issuer, String audience, Duration ttl, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.ttl = ttl;
        this.clock = clock;
    }

    public Duration ttl() {
        return ttl;
    }

    /**
     * A token for the user. Its {@code iat} (whole seconds) is after the user's {@code revokedBefore}, so a token
     * issued in the same second as a revocation (a password change that keeps its caller signed in) is not refused.
     */
    public String issue(User user) {
        return issue(user, null);
    }

    /**
     * The same, expiring at {@code expiresAt} (no later than a token issued now would): the claims of a token
     * brought up to date without making a session last longer.
     */
    public String issue(User user, Instant expiresAt) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        if (user.revokedBefore() != null && !now.isAfter(user.revokedBefore())) {
            now = user.revokedBefore().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        }
        Jwt jwt = Jwt.builder()
                .algorithm("ES256")
                .type("JWT")
                .keyId(keys.currentKid())
                .issuer(issuer)
                .audience(List.of(audience))
                .subject(user.id())
                .email(user.email())
                .emailVerified(user.emailVerified())
                .addPayloadClaim("roles", user.roles())
                .issueTime(now)
                .notBefore(now)
                .expirationTime(expiresAt == null || expiresAt.isAfter(now.plus(ttl)) ? now.plus(ttl) : expiresAt)
                .addPayloadClaim("jti", UUID.randomUUID().toString())
                .build();
        return SignedJwt.sign(jwt, keys.current()).tokenContent();
    }
}
