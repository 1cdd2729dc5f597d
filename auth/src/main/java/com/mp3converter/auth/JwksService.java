package com.mp3converter.auth;

import com.mp3converter.common.http.Json;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /.well-known/jwks.json}: every public key, cacheable for five minutes. */
public final class JwksService implements HttpService {
    private final SigningKeys keys;

    public JwksService(SigningKeys keys) {
        this.keys = keys;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/jwks.json", this::jwks);
    }

    private void jwks(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=300");
        Json.send(res, keys.jwks());
    }
}
