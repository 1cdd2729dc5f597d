package com.mp3converter.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.server.StallGuard;
import com.mp3converter.common.tracing.Tracing;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;

/**
 * {@code POST /login} and {@code POST /signup}, passed to auth with timeouts. Auth down or slow is a
 * 503 problem, never a 500; auth's own answers (401, 409, 429 ...) pass through unchanged.
 */
public final class AuthProxy implements HttpService {
    private static final Logger LOG = Logger.getLogger(AuthProxy.class.getName());
    private static final int MAX_BODY = 4096;
    private static final List<HeaderName> PASSED_BACK = List.of(HeaderNames.CONTENT_TYPE, HeaderNames.RETRY_AFTER,
            HeaderNames.WWW_AUTHENTICATE, HeaderNames.CACHE_CONTROL, HeaderNames.LOCATION);

    private final URI auth;
    private final HttpClient http;
    private final Duration timeout;
    private final int trustedProxies;

    /** {@code trustedProxies}: how many proxies in front of the gateway append to X-Forwarded-For. */
    public AuthProxy(URI auth, Duration timeout, int trustedProxies) {
        this.auth = auth;
        this.timeout = timeout;
        this.trustedProxies = trustedProxies;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/login", this::login)
                .post("/signup", this::signup);
    }

    private void login(ServerRequest req, ServerResponse res) {
        HttpRequest.Builder forward = request(req, "/login").POST(HttpRequest.BodyPublishers.noBody());
        Headers.single(req, HeaderNames.AUTHORIZATION).ifPresent(v -> forward.header("Authorization", v));
        relay(forward, res);
    }

    private void signup(ServerRequest req, ServerResponse res) {
        if (req.headers().contentLength().orElse(0) > MAX_BODY) {
            throw Problems.badRequest("the sign-up body is larger than " + MAX_BODY + " bytes");
        }
        byte[] body;
        try (InputStream in = StallGuard.reading(req.content().inputStream())) {
            body = in.readNBytes(MAX_BODY + 1);
        } catch (IOException e) {
            throw Problems.badRequest("the request body could not be read");
        }
        if (body.length > MAX_BODY) {
            throw Problems.badRequest("the sign-up body is larger than " + MAX_BODY + " bytes");
        }
        relay(request(req, "/users").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), res);
    }

    /** To auth with the client's address as the only X-Forwarded-For entry: auth trusts one hop, this one. */
    private HttpRequest.Builder request(ServerRequest req, String path) {
        HttpRequest.Builder forward = HttpRequest.newBuilder(auth.resolve(path)).timeout(timeout);
        req.headers().first(HeaderNames.ACCEPT).ifPresent(v -> forward.header("Accept", v));
        forward.header("X-Forwarded-For", Headers.clientAddress(req, trustedProxies));
        return forward;
    }

    private void relay(HttpRequest.Builder forward, ServerResponse res) {
        HttpResponse<byte[]> answer;
        HttpRequest request = forward.build();
        Span span = Tracing.tracer("gateway").spanBuilder(request.method() + " " + request.uri().getPath())
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute("http.request.method", request.method())
                .setAttribute("url.full", request.uri().toString())
                .setAttribute("url.template", request.uri().getPath())
                .setAttribute("server.address", request.uri().getHost())
                .setAttribute("server.port", (long) request.uri().getPort())
                .startSpan();
        try (Scope ignored = span.makeCurrent()) {
            HttpRequest.Builder traced = HttpRequest.newBuilder(request, (name, value) -> true);
            Tracing.inject().forEach(traced::setHeader);
            answer = http.send(traced.build(), HttpResponse.BodyHandlers.ofByteArray());
            span.setAttribute("http.response.status_code", answer.statusCode());
        } catch (IOException e) {
            span.setStatus(StatusCode.ERROR, e.toString());
            LOG.warning(() -> "auth unreachable: " + e);
            throw Problems.unavailable("the login service cannot be reached; try again shortly", 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Problems.unavailable("the login service did not answer", 5);
        } finally {
            span.end();
        }
        if (answer.statusCode() >= 500) {
            throw Problems.unavailable("the login service is unavailable; try again shortly", 5);
        }
        res.status(Status.create(answer.statusCode()));
        for (HeaderName name : PASSED_BACK) {
            answer.headers().firstValue(name.defaultCase()).ifPresent(v -> res.header(name, v));
        }
        res.send(answer.body());
    }
}
