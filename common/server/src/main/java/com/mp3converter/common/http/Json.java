package com.mp3converter.common.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import com.mp3converter.common.server.StallGuard;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** One Jackson mapper for every JSON body, event and response. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Json() {
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T read(byte[] body, Class<T> type) throws IOException {
        return MAPPER.readValue(body, type);
    }

    public static void send(ServerResponse res, Object value) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(bytes(value));
    }

    /**
     * The request body as a JSON object, or a 400 saying what is wrong with it; read under the stall limit like an
     * upload (a client that stops sending is cut off instead of holding the connection and its thread).
     */
    public static JsonNode body(ServerRequest req, int maxBytes) {
        if (req.headers().contentLength().orElse(0) > maxBytes) {
            throw Problems.badRequest("the JSON body is larger than " + maxBytes + " bytes");
        }
        try (InputStream in = StallGuard.reading(req.content().inputStream())) {
            return object(in, maxBytes);
        } catch (IOException e) {
            throw Problems.badRequest("the body could not be read");
        }
    }

    /** At most {@code maxBytes} (and one more, to tell) of a body as a JSON object, or a 400 saying why not. */
    static JsonNode object(InputStream in, int maxBytes) throws IOException {
        byte[] bytes = in.readNBytes(maxBytes + 1);
        if (bytes.length > maxBytes) {
            throw Problems.badRequest("the JSON body is larger than " + maxBytes + " bytes");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw Problems.badRequest("the body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw Problems.badRequest("the body must be a JSON object");
        }
        return node;
    }
}
