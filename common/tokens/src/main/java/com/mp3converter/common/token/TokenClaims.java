package com.mp3converter.common.token;

import java.time.Instant;
import java.util.List;

/** What a verified access token says about its holder. */
public record TokenClaims(String userId, String email, List<String> roles, Instant issuedAt, Instant expiresAt) {
    public boolean isAdmin() {
        return roles.contains("admin");
    }
}
