package com.mp3converter.common.tracing;

import java.util.HashMap;
import java.util.Map;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
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
 * A server span for every HTTP request, continuing the caller's trace (W3C or B3, as Envoy forwards it),
 * and the request id: taken from {@code x-request-id} or made up, echoed in the response and carried on
 * through the streams. Health and metrics scrapes are not traced.
 */
public final class ServerSpans implements Filter {
    private static final HeaderName REQUEST_ID = HeaderNames.create(Tracing.REQUEST_ID_HEADER);
    private static final String[] PROPAGATED = {"traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid",
            "x-b3-sampled", "x-b3-parentspanid", "x-b3-flags", Tracing.REQUEST_ID_HEADER};

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (path.startsWith("/health") || path.equals("/metrics")) {
            chain.proceed();
            return;
        }
        Map<String, String> headers = new HashMap<>();
        for (String name : PROPAGATED) {
            req.headers().first(HeaderNames.create(name)).filter(v -> v.length() <= 512).ifPresent(v -> headers.put(name, v));
        }
        String requestId = headers.computeIfAbsent(Tracing.REQUEST_ID_HEADER, k -> Tracing.newRequestId());
        Context parent = Tracing.extract(headers);
        String method = req.prologue().method().text();
        Span span = Tracing.tracer("http").spanBuilder(method + " " + route(path))
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(AttributeKey.stringKey("http.request.method"), method)
                .setAttribute(AttributeKey.stringKey("url.path"), path)
                .setAttribute(AttributeKey.stringKey("http.request.id"), requestId)
                .startSpan();
        res.header(REQUEST_ID, requestId);
        try (Scope ignored = parent.with(span).makeCurrent()) {
            chain.proceed();
        } catch (RuntimeException | Error e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR);
            throw e;
        } finally {
            int status = res.status().code();
            span.setAttribute(AttributeKey.longKey("http.response.status_code"), status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }

    /** A low-cardinality span name: ids in the path become placeholders. */
    static String route(String path) {
        return path.replaceAll("/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "/{id}")
                .replaceAll("/[0-9a-f]{24}", "/{id}");
    }
}
