package com.mp3converter.gateway;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;

import com.mp3converter.common.http.Headers;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /login} and {@code POST /signup}, passed to auth with timeouts. Auth down or slow is a
 * 503 problem, never a 500; auth's own answers (401, 409, 429 ...) pass through unchanged.
 */
public final class AuthProxy implements HttpService {
    private static final int MAX_BODY = 4096;

    private final URI auth;
    private final Relay relay = new Relay("the login service");
    private final Duration timeout;
    private final int trustedProxies;

    /** {@code trustedProxies}: how many proxies in front of the gateway append to X-Forwarded-For. */
    public AuthProxy(URI auth, Duration timeout, int trustedProxies) {
        this.auth = auth;
        this.timeout = timeout;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/login", this::login)
                .post("/signup", this::signup);
    }

    private void login(ServerRequest req, ServerResponse res) {
        HttpRequest.Builder forward = request(req, "/login").POST(HttpRequest.BodyPublishers.noBody());
        Headers.single(req, HeaderNames.AUTHORIZATION).ifPresent(v -> forward.header("Authorization", v));
        relay.send(forward.build(), res);
    }

    private void signup(ServerRequest req, ServerResponse res) {
        byte[] body = Relay.body(req, MAX_BODY, "sign-up");
        relay.send(request(req, "/users").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), res);
    }

    /** To auth with the client's address as the only X-Forwarded-For entry: auth trusts one hop, this one. */
    private HttpRequest.Builder request(ServerRequest req, String path) {
        HttpRequest.Builder forward = HttpRequest.newBuilder(auth.resolve(path)).timeout(timeout);
        req.headers().first(HeaderNames.ACCEPT).ifPresent(v -> forward.header("Accept", v));
        forward.header("X-Forwarded-For", Headers.clientAddress(req, trustedProxies));
        return forward;
    }
}
