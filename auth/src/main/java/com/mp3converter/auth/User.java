package com.mp3converter.auth;

import java.time.Instant;
import java.util.List;

/** A user as stored; {@code passwordHash} never leaves auth. */
public record User(String id, String email, String passwordHash, List<String> roles, boolean disabled,
                   Instant revokedBefore, Instant emailVerifiedAt, Instant createdAt, Instant updatedAt) {
    public static final String ROLE_USER = "user";
    public static final String ROLE_ADMIN = "admin";

    public boolean emailVerified() {
        return emailVerifiedAt != null;
    }

    /** False for a token of this user issued at or before its revocation (disabled, or the password changed since). */
    public boolean accepts(Instant tokenIssuedAt) {
        return !disabled && (revokedBefore == null || tokenIssuedAt.isAfter(revokedBefore));
    }

    /** The public view of a user. */
    public java.util.Map<String, Object> view() {
        var view = new java.util.LinkedHashMap<String, Object>();
        view.put("id", id);
        view.put("email", email);
        view.put("roles", roles);
        view.put("disabled", disabled);
        view.put("emailVerified", emailVerified());
        view.put("createdAt", createdAt);
        view.put("updatedAt", updatedAt);
        return view;
    }
}
