package com.mp3converter.common.server;

import java.nio.charset.StandardCharsets;

import com.mp3converter.common.http.Problem;
import com.mp3converter.common.http.Json;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Answers for requests Helidon rejects before routing (malformed request lines, headers, sizes), as
 * problem+json. A request line Helidon cannot parse (an illegal character in the method, say) surfaces
 * as an internal error before any method was read: that is the client's fault, so it is a 400, not a 500.
 */
public final class ProtocolErrors implements DirectHandler {
    private ProtocolErrors() {
    }

    public static DirectHandlers handlers() {
        ProtocolErrors handler = new ProtocolErrors();
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders headers, Throwable thrown, System.Logger logger) {
        boolean malformed = eventType == EventType.INTERNAL_ERROR
                && (causedBy(thrown, IllegalArgumentException.class) || unparsed(request));
        Status status = malformed ? Status.BAD_REQUEST_400 : defaultStatus;
        if (!malformed && eventType == EventType.INTERNAL_ERROR && logger != null) {
            logger.log(System.Logger.Level.WARNING, "internal error before routing", thrown);
        }
        return answer(status, malformed ? "the request line or headers are malformed" : status.reasonPhrase(), headers);
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders headers, Throwable thrown) {
        return handle(request, eventType, defaultStatus, headers, thrown, null);
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders headers, String message) {
        if (eventType == EventType.INTERNAL_ERROR && unparsed(request)) {
            return answer(Status.BAD_REQUEST_400, "the request line or headers are malformed", headers);
        }
        return answer(defaultStatus, defaultStatus.reasonPhrase(), headers);
    }

    /** No method was read: the failure happened while parsing the request line. */
    private static boolean unparsed(TransportRequest request) {
        return request == null || request.method() == null || request.method().isEmpty();
    }

    private static TransportResponse answer(Status status, String detail, ServerResponseHeaders headers) {
        String slug = status.code() == 413 ? "too-large" : status.code() >= 500 ? "internal" : "bad-request";
        byte[] body = Json.bytes(Problem.of(status.code(), slug, status.reasonPhrase(), detail));
        headers.set(HeaderNames.CONTENT_TYPE, "application/problem+json");
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .keepAlive(false)
                .entity(new String(body, StandardCharsets.UTF_8))
                .build();
    }

    private static boolean causedBy(Throwable thrown, Class<? extends Throwable> type) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
