package com.mp3converter.common.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

import com.mp3converter.common.tracing.Tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;

/** One JSON object per log line, with the trace, span and request ids of the work it was logged for. */
public class JsonLogFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "ts", Instant.ofEpochMilli(record.getMillis()).toString());
        field(line, "level", record.getLevel().getName());
        field(line, "logger", record.getLoggerName());
        field(line, "thread", Thread.currentThread().getName());
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            field(line, "traceId", span.getTraceId());
            field(line, "spanId", span.getSpanId());
        }
        String requestId = Context.current().get(Tracing.REQUEST_ID);
        if (requestId != null) {
            field(line, "requestId", requestId);
        }
        field(line, "message", formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            field(line, "error", trace.toString());
        }
        line.setLength(line.length() - 1);
        return line.append("}\n").toString();
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
