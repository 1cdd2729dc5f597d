package com.mp3converter.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

import com.mp3converter.common.http.Problems;
import com.mp3converter.common.server.StallGuard;
import com.mp3converter.common.tracing.Tracing;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;

/**
 * Passes a request on to another service (auth's login and sign-up, the mailer's webhooks) in a client span with the
 * trace headers. The service down or failing is a 503 problem, never a 500; its own answers (401, 404, 409, 429 ...)
 * pass through with the headers that matter to the client.
 */
final class Relay {
    private static final Logger LOG = Logger.getLogger(Relay.class.getName());
    private static final List<HeaderName> PASSED_BACK = List.of(HeaderNames.CONTENT_TYPE, HeaderNames.RETRY_AFTER,
            HeaderNames.WWW_AUTHENTICATE, HeaderNames.CACHE_CONTROL, HeaderNames.LOCATION);

    private final String service;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** {@code service}: how a client reads its name ("the login service"). */
    Relay(String service) {
        this.service = service;
    }

    /** A small request body, read whole (at most {@code maxBytes}), or a 400 saying it is too large. */
    static byte[] body(ServerRequest req, int maxBytes, String what) {
        if (req.headers().contentLength().orElse(0) > maxBytes) {
            throw Problems.badRequest("the " + what + " body is larger than " + maxBytes + " bytes");
        }
        byte[] body;
        try (InputStream in = StallGuard.reading(req.content().inputStream())) {
            body = in.readNBytes(maxBytes + 1);
        } catch (IOException e) {
            throw Problems.badRequest("the request body could not be read");
        }
        if (body.length > maxBytes) {
            throw Problems.badRequest("the " + what + " body is larger than " + maxBytes + " bytes");
        }
        return body;
    }

    /** Passes the request on and the answer back to the client (a 5xx or no answer: a 503 problem). */
    void send(HttpRequest request, ServerResponse res) {
        pass(exchange(request), res);
    }

    /** An answer of the service, to the client as it came. */
    static void pass(HttpResponse<byte[]> answer, ServerResponse res) {
        res.status(Status.create(answer.statusCode()));
        for (HeaderName name : PASSED_BACK) {
            answer.headers().firstValue(name.defaultCase()).ifPresent(v -> res.header(name, v));
        }
        res.send(answer.body());
    }

    /** The service's answer below 500; no answer or a 5xx is a 503 problem. */
    HttpResponse<byte[]> exchange(HttpRequest request) {
        HttpResponse<byte[]> answer;
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
            LOG.warning(() -> service + " unreachable: " + e);
            throw Problems.unavailable(service + " cannot be reached; try again shortly", 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Problems.unavailable(service + " did not answer", 5);
        } finally {
            span.end();
        }
        if (answer.statusCode() >= 500) {
            throw Problems.unavailable(service + " is unavailable; try again shortly", 5);
        }
        return answer;
    }
}
