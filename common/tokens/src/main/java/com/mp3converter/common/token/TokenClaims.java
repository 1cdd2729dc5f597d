package com.mp3converter.common.token;

import java.time.Instant;
import java.util.List;

/** What a verified access token says about its holder. */
/** {@code emailVerified}: the account's address was checked by its verification link (OIDC's {@code email_verified}). */
public record TokenClaims(String userId, String email, List<String> roles, boolean emailVerified, Instant issuedAt,
                          Instant expiresAt) {
    public boolean isAdmin() {
        return roles.contains("admin");
    }
}
