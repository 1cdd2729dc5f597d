package com.mp3converter.common.stream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;
import com.rabbitmq.stream.Message;
import com.rabbitmq.stream.MessageBuilder;

/**
 * An event as a stream message: the record as JSON body; {@code messageId} = jobId:type:key (deterministic, so
 * a re-sent message is recognisable), {@code correlationId} = jobId; application properties {@code type},
 * {@code version} (the contract's, {@link Events#VERSION}) and the trace headers ({@code traceparent},
 * {@code tracestate}, {@code x-request-id}, B3).
 */
public record EventMessage(String type, int version, String jobId, String messageId, byte[] body,
                           Map<String, String> headers) {
    public static final Set<String> TRACE_HEADERS = Set.of(
            "traceparent", "tracestate", "x-request-id", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled");

    public static EventMessage of(String type, String jobId, Object key, Object event, Map<String, String> headers) {
        return new EventMessage(type, Events.VERSION, jobId, jobId + ":" + type + ":" + key, Json.bytes(event),
                Map.copyOf(headers));
    }

    /** An event waiting for the trace headers of the span that publishes it. */
    @FunctionalInterface
    public interface Builder {
        EventMessage build(Map<String, String> traceHeaders);
    }

    Message toMessage(MessageBuilder builder, Long publishingId) {
        if (publishingId != null) {
            builder.publishingId(publishingId);
        }
        var app = builder.properties()
                .messageId(messageId)
                .correlationId(jobId)
                .contentType("application/json")
                .messageBuilder()
                .applicationProperties()
                .entry("type", type)
                .entry("version", version);
        headers.forEach((name, value) -> {
            if (TRACE_HEADERS.contains(name)) {
                app.entry(name, value);
            }
        });
        return app.messageBuilder().addData(body).build();
    }

    /** Reads a received message; the body stays raw until {@link #read(Class)}. */
    public static EventMessage from(Message message) {
        Map<String, String> headers = new LinkedHashMap<>();
        String type = "";
        int version = 0;
        if (message.getApplicationProperties() != null) {
            for (var e : message.getApplicationProperties().entrySet()) {
                String value = String.valueOf(e.getValue());
                if ("type".equals(e.getKey())) {
                    type = value;
                } else if ("version".equals(e.getKey()) && e.getValue() instanceof Number n) {
                    version = n.intValue();
                } else if (TRACE_HEADERS.contains(e.getKey())) {
                    headers.put(e.getKey(), value);
                }
            }
        }
        var props = message.getProperties();
        String jobId = props == null || props.getCorrelationId() == null ? "" : String.valueOf(props.getCorrelationId());
        String messageId = props == null || props.getMessageId() == null ? "" : String.valueOf(props.getMessageId());
        byte[] body = message.getBodyAsBinary();
        return new EventMessage(type, version, jobId, messageId, body == null ? new byte[0] : body, headers);
    }

    /** True when this is one of {@code types} in the contract version this code reads. */
    public boolean is(String... types) {
        if (version != Events.VERSION) {
            return false;
        }
        for (String t : types) {
            if (t.equals(type)) {
                return true;
            }
        }
        return false;
    }

    public <T> T read(Class<T> eventType) throws IOException {
        return Json.read(body, eventType);
    }

    @Override
    public String toString() {
        return type + " v" + version + " " + messageId + " ("
                + new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8) + ")";
    }
}
