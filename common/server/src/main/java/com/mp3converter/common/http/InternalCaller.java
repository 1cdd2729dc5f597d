package com.mp3converter.common.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import io.helidon.config.Config;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/**
 * The services' calls to each other's internal endpoints carry a shared secret ({@code internal.token}: a generated
 * file locally, a Kubernetes Secret in the cluster, never on a command line) in {@link #HEADER}; the mesh's
 * AuthorizationPolicies restrict the callers on top. The gateway never passes a client's copy of the header on.
 */
public final class InternalCaller {
    public static final HeaderName HEADER = HeaderNames.create("X-Mp3converter-Internal");

    private final byte[] token;

    private InternalCaller(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** From {@code internal.token}; a service that serves or calls internal endpoints refuses to start without it. */
    public static InternalCaller from(Config config) {
        String token = config.get("internal.token").asString().orElse("").trim();
        if (token.length() < 16) {
            throw new IllegalStateException("internal.token (INTERNAL_TOKEN) must be set to a secret of at least 16 "
                    + "characters, the same for every service");
        }
        return new InternalCaller(token);
    }

    /** The value to send in {@link #HEADER}. */
    public String token() {
        return new String(token, StandardCharsets.UTF_8);
    }

    /** Refuses (401) a request that does not carry the secret, comparing in constant time. */
    public void require(ServerRequest req) {
        byte[] given = req.headers().first(HEADER).orElse("").getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {
            throw Problems.unauthorized("this endpoint is for the platform's own services");
        }
    }

    /** True when the request carries the secret (an endpoint open to users and to services alike). */
    public boolean calledBy(ServerRequest req) {
        return req.headers().first(HEADER).map(v -> MessageDigest.isEqual(v.getBytes(StandardCharsets.UTF_8), token))
                .orElse(false);
    }
}
