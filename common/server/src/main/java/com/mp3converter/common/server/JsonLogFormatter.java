package com.mp3converter.common.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import com.mp3converter.common.tracing.Tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;

/**
 * One JSON object per log line in the Elastic Common Schema (ECS 8), which Elasticsearch, Loki, Vector and the
 * OpenTelemetry collector read as they are: {@code @timestamp}, {@code log.level} (ERROR, WARN, INFO, DEBUG, TRACE),
 * {@code log.logger}, {@code message}, {@code service.name}, {@code trace.id} and {@code span.id} of the work it was
 * logged for, {@code http.request.id}, and {@code error.*} for an exception. {@code ./mp3converter logs} prints them
 * as plain text.
 */
public class JsonLogFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "@timestamp", Instant.ofEpochMilli(record.getMillis()).toString());
        field(line, "log.level", level(record.getLevel()));
        field(line, "log.logger", record.getLoggerName());
        field(line, "process.thread.name", Thread.currentThread().getName());
        field(line, "service.name", Tracing.serviceName());
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            field(line, "trace.id", span.getTraceId());
            field(line, "span.id", span.getSpanId());
        }
        String requestId = Context.current().get(Tracing.REQUEST_ID);
        if (requestId != null) {
            field(line, "http.request.id", requestId);
        }
        field(line, "message", formatMessage(record));
        Throwable thrown = record.getThrown();
        if (thrown != null) {
            StringWriter trace = new StringWriter();
            thrown.printStackTrace(new PrintWriter(trace));
            field(line, "error.type", thrown.getClass().getName());
            field(line, "error.message", String.valueOf(thrown.getMessage()));
            field(line, "error.stack_trace", trace.toString());
        }
        field(line, "ecs.version", "8.11.0");
        line.setLength(line.length() - 1);
        return line.append("}\n").toString();
    }

    /** JUL's levels under the names every log tool knows. */
    static String level(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (value >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (value >= Level.INFO.intValue()) {
            return "INFO";
        }
        return value >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

    private static void field(StringBuilder line, String name, String value) {
        line.append('"').append(name).append("\":\"");
        escape(line, value == null ? "" : value);
        line.append("\",");
    }

    private static void escape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }
}
