package com.mp3converter.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /openapi}: the public API's OpenAPI 3.1 document. */
public final class OpenApiService implements HttpService {
    private final byte[] document;

    public OpenApiService() {
        try (InputStream in = OpenApiService.class.getResourceAsStream("/openapi.yaml")) {
            document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/openapi", this::openapi);
    }

    private void openapi(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/yaml");
        res.send(document);
    }
}
