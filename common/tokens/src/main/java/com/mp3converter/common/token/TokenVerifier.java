package com.mp3converter.common.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.helidon.common.Errors;
import io.helidon.security.jwt.Jwt;
import io.helidon.security.jwt.SignedJwt;
import io.helidon.security.jwt.jwk.Jwk;
import io.helidon.security.jwt.jwk.JwkKeys;

import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/**
 * Verifies ES256 access tokens locally: algorithm pinned (no {@code none}, no HS256 with a public key),
 * key by {@code kid}, signature, issuer, audience, expiry and not-before with a small clock skew.
 * Signatures already verified are remembered until the token expires or its key is retired, so a busy client
 * costs two map lookups per request instead of an ECDSA verification.
 */
public final class TokenVerifier {
    public static final String ALGORITHM = "ES256";
    /** How far the verifier's clock may be from the issuer's: an expired token is accepted this much longer. */
    public static final Duration SKEW = Duration.ofSeconds(30);
    private static final int CACHE_LIMIT = 10_000;

    private final KeySource keys;
    private final String issuer;
    private final String audience;
    private final Clock clock;
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();

    public TokenVerifier(KeySource keys, String issuer, String audience, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    public TokenClaims verify(String token) throws InvalidTokenException {
        Instant now = clock.instant();
        Verified cached = verified.get(token);
        if (cached != null) {
            if (now.isBefore(cached.claims().expiresAt().plus(SKEW)) && keys.key(cached.kid()).isPresent()) {
                return cached.claims();
            }
            verified.remove(token);
        }
        Verified fresh = verifyFully(token, now);
        if (verified.size() >= CACHE_LIMIT) {
            verified.clear();
        }
        verified.put(token, fresh);
        return fresh.claims();
    }

    /** A token whose signature checked out, and the key it was checked with (a retired key ends the shortcut). */
    private record Verified(TokenClaims claims, String kid) {
    }

    private Verified verifyFully(String token, Instant now) throws InvalidTokenException {
        if (token == null || token.isBlank() || token.length() > 8192 || token.chars().filter(c -> c == '.').count() != 2) {
            throw new InvalidTokenException("malformed", "the token is not a signed JWT");
        }
        SignedJwt signed;
        Jwt jwt;
        try {
            signed = SignedJwt.parseToken(token);
            jwt = signed.getJwt();
        } catch (RuntimeException e) {
            throw new InvalidTokenException("malformed", "the token cannot be parsed");
        }
        String alg = jwt.algorithm().orElse("");
        if (!ALGORITHM.equals(alg)) {
            throw new InvalidTokenException("algorithm", "the token algorithm '" + alg + "' is not accepted");
        }
        String kid = jwt.keyId().orElseThrow(() -> new InvalidTokenException("unknown_key", "the token has no key id"));
        Jwk key = keys.key(kid).orElseThrow(() -> new InvalidTokenException("unknown_key", "the token's key is unknown"));
        if (!ALGORITHM.equals(key.algorithm())) {
            throw new InvalidTokenException("algorithm", "the key is not an ES256 key");
        }
        Errors errors;
        try {
            errors = signed.verifySignature(JwkKeys.builder().addKey(key).build());
        } catch (RuntimeException e) {
            throw new InvalidTokenException("signature", "the token signature is not valid");
        }
        if (!errors.isValid()) {
            throw new InvalidTokenException("signature", "the token signature is not valid");
        }
        if (!jwt.issuer().map(issuer::equals).orElse(false)) {
            throw new InvalidTokenException("issuer", "the token was not issued by " + issuer);
        }
        if (!jwt.audience().map(list -> list.contains(audience)).orElse(false)) {
            throw new InvalidTokenException("audience", "the token is not meant for " + audience);
        }
        Instant expires = jwt.expirationTime()
                .orElseThrow(() -> new InvalidTokenException("expired", "the token has no expiry"));
        if (!now.isBefore(expires.plus(SKEW))) {
            throw new InvalidTokenException("expired", "the token has expired");
        }
        Optional<Instant> notBefore = jwt.notBefore().or(jwt::issueTime);
        if (notBefore.isPresent() && now.plus(SKEW).isBefore(notBefore.get())) {
            throw new InvalidTokenException("not_yet_valid", "the token is not valid yet");
        }
        String subject = jwt.subject().orElseThrow(() -> new InvalidTokenException("malformed", "the token has no subject"));
        String email = jwt.payloadClaim("email").map(TokenVerifier::text).orElse("");
        List<String> roles = jwt.payloadClaim("roles")
                .filter(v -> v.getValueType() == JsonValue.ValueType.ARRAY)
                .map(v -> v.asJsonArray().stream().map(TokenVerifier::text).toList())
                .orElse(List.of());
        Instant issued = jwt.issueTime().orElseThrow(() -> new InvalidTokenException("malformed", "the token has no issue time"));
        // tokens from before verification existed have no such claim: those accounts all count as verified
        boolean emailVerified = jwt.payloadClaim("email_verified").map(v -> v != JsonValue.FALSE).orElse(true);
        return new Verified(new TokenClaims(subject, email, roles, emailVerified, issued, expires), kid);
    }

    private static String text(JsonValue value) {
        return value instanceof JsonString s ? s.getString() : value.toString();
    }
}
