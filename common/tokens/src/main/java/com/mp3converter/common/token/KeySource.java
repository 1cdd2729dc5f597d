package com.mp3converter.common.token;

import java.util.Optional;

import io.helidon.security.jwt.jwk.Jwk;

/** Where verification keys come from: auth's own keys, or auth's JWKS fetched by the gateway. */
public interface KeySource {
    /** The key with this id; a source may refresh itself (rate-limited) when the id is unknown. */
    Optional<Jwk> key(String kid);
}
