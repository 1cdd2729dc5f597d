package com.mp3converter.gateway;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;

import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.token.TokenClaims;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /webhooks/...}: the user's webhook endpoints, which the mailer owns (it sends them). The caller's token is
 * verified here and the mailer is told who the user is, with the platform's internal secret that makes the mailer
 * believe it; nothing else of the client's headers is passed on.
 */
public final class WebhooksProxy implements HttpService {
    private static final int MAX_BODY = 8192;

    private final Caller caller;
    private final URI mailer;
    private final Duration timeout;
    private final InternalCaller internal;
    private final Relay relay = new Relay("the webhook service");

    public WebhooksProxy(Caller caller, URI mailer, Duration timeout, InternalCaller internal) {
        this.caller = caller;
        this.internal = internal;
        this.mailer = mailer;
        this.timeout = timeout;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(this::forward);
    }

    private void forward(ServerRequest req, ServerResponse res) {
        String method = req.prologue().method().text();
        TokenClaims claims = method.equals("GET") || method.equals("DELETE") ? caller.claims(req) : caller.verified(req);
        String query = req.query().rawValue();
        URI target = mailer.resolve(req.path().absolute().rawPath() + (query.isEmpty() ? "" : "?" + query));
        HttpRequest.BodyPublisher body = method.equals("POST") || method.equals("PUT") || method.equals("PATCH")
                ? HttpRequest.BodyPublishers.ofByteArray(Relay.body(req, MAX_BODY, "webhook request"))
                : HttpRequest.BodyPublishers.noBody();
        HttpRequest.Builder forward = HttpRequest.newBuilder(target).timeout(timeout).method(method, body)
                .header(Headers.VERIFIED_USER, claims.userId())
                .header(InternalCaller.HEADER.defaultCase(), internal.token());
        req.headers().contentType().ifPresent(type -> forward.header("Content-Type", type.text()));
        req.headers().first(HeaderNames.ACCEPT).ifPresent(v -> forward.header("Accept", v));
        relay.send(forward.build(), res);
    }
}
