package com.mp3converter.gateway;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

/**
 * A text/event-stream response, written by hand: Helidon 4.5.0's SSE sink writes no {@code retry:} field, and
 * clients should wait before reconnecting. Each call writes one event and flushes it.
 */
final class SseWriter implements AutoCloseable {
    private final OutputStream out;

    SseWriter(ServerResponse res, Duration retry) throws IOException {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=UTF-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.create("X-Accel-Buffering"), "no");
        this.out = res.outputStream();
        write("retry: " + retry.toMillis() + "\n\n");
    }

    void event(String id, String name, String data) throws IOException {
        write("id: " + id + "\nevent: " + name + "\ndata: " + data.replace("\n", "\ndata: ") + "\n\n");
    }

    /** A comment line: keeps an idle stream open through proxies (Envoy's idle timeout) and tells a dead client. */
    void comment(String text) throws IOException {
        write(": " + text + "\n\n");
    }

    private void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
