package com.mp3converter.common.tracing;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.mp3converter.common.server.Histograms;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.metrics.api.Tag;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * A server span for every HTTP request, continuing the caller's trace (W3C or B3, as Envoy forwards it), named and
 * described by the OpenTelemetry HTTP conventions ({@code GET /jobs/{id}}, {@code http.route}, {@code url.scheme},
 * {@code server.address} ...), and the request id: taken from {@code x-request-id} or made up, echoed in the
 * response and carried on through the streams. Each request is also timed into
 * {@code http_server_request_duration_seconds} (a histogram by method, route and status class); health checks and
 * metrics scrapes are timed too (their path is their route) but not traced. Every label comes from a fixed set, never
 * from the request as sent: a method HTTP does not define is {@code _OTHER} (as OpenTelemetry names it), a path no
 * route matched (a made-up {@code /health/...} too) is {@code unmatched}; each new label value would be a new series
 * kept for ever.
 */
public final class ServerSpans implements Filter {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
            "TRACE", "CONNECT");
    private static final Set<String> OBSERVE_PATHS = Set.of("/health", "/health/live", "/health/ready",
            "/health/started", "/metrics");
    private static final String UNMATCHED = "unmatched";
    private static final HeaderName REQUEST_ID = HeaderNames.create(Tracing.REQUEST_ID_HEADER);
    private static final String[] PROPAGATED = {"traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid",
            "x-b3-sampled", "x-b3-parentspanid", "x-b3-flags", Tracing.REQUEST_ID_HEADER};

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        String method = method(req.prologue().method().text());
        long started = System.nanoTime();
        if (path.startsWith("/health") || path.equals("/metrics")) {
            try {
                chain.proceed();
            } finally {
                time(method, OBSERVE_PATHS.contains(path) ? path : UNMATCHED, res.status().code(), started);
            }
            return;
        }
        Map<String, String> headers = new HashMap<>();
        for (String name : PROPAGATED) {
            req.headers().first(HeaderNames.create(name)).filter(v -> v.length() <= 512).ifPresent(v -> headers.put(name, v));
        }
        String requestId = headers.computeIfAbsent(Tracing.REQUEST_ID_HEADER, k -> Tracing.newRequestId());
        Context parent = Tracing.extract(headers);
        Span span = Tracing.tracer("http").spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(AttributeKey.stringKey("http.request.method"), method)
                .setAttribute(AttributeKey.stringKey("url.path"), path)
                .setAttribute(AttributeKey.stringKey("url.scheme"), req.isSecure() ? "https" : "http")
                .setAttribute(AttributeKey.stringKey("server.address"), req.requestedUri().host())
                .setAttribute(AttributeKey.longKey("server.port"), (long) req.requestedUri().port())
                .setAttribute(AttributeKey.stringKey("network.protocol.version"), req.prologue().protocolVersion())
                .setAttribute(Tracing.REQUEST_ID_ATTRIBUTE, requestId)
                .startSpan();
        res.header(REQUEST_ID, requestId);
        try (Scope ignored = parent.with(span).makeCurrent()) {
            chain.proceed();
        } catch (RuntimeException | Error e) {
            span.recordException(e);
            span.setAttribute(AttributeKey.stringKey("error.type"), e.getClass().getName());
            span.setStatus(StatusCode.ERROR);
            throw e;
        } finally {
            int status = res.status().code();
            // a service registered at "/" with a route "/upload" matches as "//upload"
            String route = req.matchingPattern().filter(p -> !p.isBlank()).map(p -> p.replaceAll("/{2,}", "/")).orElse(null);
            if (route != null) {
                span.updateName(method + " " + route);
                span.setAttribute(AttributeKey.stringKey("http.route"), route);
            }
            span.setAttribute(AttributeKey.longKey("http.response.status_code"), status);
            if (status >= 500) {
                span.setAttribute(AttributeKey.stringKey("error.type"), Integer.toString(status));
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
            time(method, route == null ? UNMATCHED : route, status, started);
        }
    }

    /** The request's method if HTTP defines it, else {@code _OTHER}. */
    private static String method(String sent) {
        return METHODS.contains(sent) ? sent : "_OTHER";
    }

    private static void time(String method, String route, int status, long started) {
        Histograms.timer("http_server_request_duration_seconds", "Time to answer an HTTP request", Histograms.HTTP,
                List.of(Tag.create("service", Tracing.serviceName()), Tag.create("method", method), Tag.create("http_route", route),
                        Tag.create("status_class", status / 100 + "xx")))
                .record(Duration.ofNanos(System.nanoTime() - started));
    }
}
