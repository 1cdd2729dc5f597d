package com.mp3converter.common.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** One JSON object per log line, with the trace and request ids of the current request when there are any. */
public class JsonLogFormatter extends Formatter {
    private static final ThreadLocal<String[]> CONTEXT = new ThreadLocal<>();

    /** Sets the trace id and request id that this thread's log lines carry; null clears them. */
    public static void context(String traceId, String requestId) {
        if (traceId == null && requestId == null) {
            CONTEXT.remove();
        } else {
            CONTEXT.set(new String[] {traceId, requestId});
        }
    }

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "ts", Instant.ofEpochMilli(record.getMillis()).toString());
        field(line, "level", record.getLevel().getName());
        field(line, "logger", record.getLoggerName());
        field(line, "thread", Thread.currentThread().getName());
        String[] context = CONTEXT.get();
        if (context != null) {
            if (context[0] != null) {
                field(line, "traceId", context[0]);
            }
            if (context[1] != null) {
                field(line, "requestId", context[1]);
            }
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
