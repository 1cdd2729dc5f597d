package com.mp3converter.gateway.upload;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.testing.Fuzzing;
import com.mp3converter.gateway.SourceNames;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@code POST /upload}'s multipart bodies as any client may send them, delivered a few bytes at a time (seeds in
 * MultipartReaderFuzzTestInputs): every body ends in parts, or in the end-of-body or malformed-body refusal the
 * upload answers 400 with (its words go to the client); what a form writes reads back as it was written; a part
 * whose headers never end is refused within one buffer.
 */
class MultipartReaderFuzzTest {
    private static final int BUFFER = 64 * 1024;
    private static final String BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

    /** Each property below, picked by the input (Fuzzing.oneOf). */
    @FuzzTest
    void fuzz(FuzzedDataProvider data) throws Exception {
        Fuzzing.oneOf(data::consumeInt,
                () -> anyBodyIsPartsOrTheIntendedRefusal(data),
                () -> aFormWrittenOutReadsBackAsItWasWritten(data),
                () -> partHeadersThatNeverEndAreRefusedWithinOneBuffer(data));
    }

    private static void anyBodyIsPartsOrTheIntendedRefusal(FuzzedDataProvider data) throws IOException {
        String contentType = data.consumeString(120);
        int maxRead = data.consumeInt(1, BUFFER + 10);
        int seed = data.consumeInt();
        byte[] body = data.consumeRemainingAsBytes();
        Optional<String> boundary = MultipartReader.boundary(contentType);
        if (boundary.isEmpty()) {
            return;
        }
        if (boundary.get().length() > 70) {
            try {
                new MultipartReader(Fuzzing.trickle(body, () -> maxRead), boundary.get());
                throw new AssertionError("a boundary of " + boundary.get().length() + " characters was taken");
            } catch (IllegalArgumentException refused) {
                return; // answered 400 by Problems, in our words
            }
        }
        java.util.Random sizes = new java.util.Random(seed);
        Fuzzing.Trickle in = Fuzzing.trickle(body, () -> 1 + sizes.nextInt(maxRead));
        MultipartReader reader = new MultipartReader(in, boundary.get());
        long bodyBytes = 0;
        try {
            for (Optional<MultipartReader.Part> part = reader.next(); part.isPresent(); part = reader.next()) {
                assertThat(part.get().name() != null, is(true));
                part.get().fileName().ifPresent(name -> {
                    String clean = SourceNames.clean(name, 255);
                    assertThat(clean, clean.isEmpty() || clean.contains("/") || clean.contains("\\")
                            || clean.contains("\"") || clean.chars().anyMatch(Character::isISOControl), is(false));
                });
                if (sizes.nextBoolean()) { // a part read, or left for next() to skip
                    bodyBytes += part.get().body().readAllBytes().length;
                }
            }
        } catch (EOFException | MultipartReader.MalformedMultipartException refused) {
            Fuzzing.assertRefusal(400, refused.getMessage());
        }
        assertThat("no part holds more than the body sent", bodyBytes, lessThanOrEqualTo((long) body.length));
    }

    private static void aFormWrittenOutReadsBackAsItWasWritten(FuzzedDataProvider data) throws IOException {
        StringBuilder boundary = new StringBuilder();
        int length = data.consumeInt(1, 70);
        for (int i = 0; i < length; i++) {
            boundary.append(BCHARS.charAt(data.consumeInt(0, BCHARS.length() - 2))); // no space at the end
        }
        List<Written> parts = new ArrayList<>();
        int count = data.consumeInt(1, 4);
        for (int i = 0; i < count; i++) {
            String name = oneLine(data.consumeString(40));
            String fileName = data.consumeBoolean() ? oneLine(data.consumeString(80)) : null;
            parts.add(new Written(name.isEmpty() ? "field" : name, fileName, data.consumeBoolean(),
                    data.consumeBytes(data.consumeInt(0, 3000))));
        }
        int maxRead = data.consumeInt(1, 100);
        byte[] preamble = data.consumeBytes(40);
        byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1)); // as the reader sees the start of a body
        body.writeBytes(preamble);
        body.writeBytes(delimiter);
        if (indexOf(body.toByteArray(), delimiter) != 2 + preamble.length) {
            return; // a preamble (ignored) holds no delimiter
        }
        body.reset();
        body.writeBytes(preamble);
        for (Written part : parts) {
            if (indexOf(part.content, delimiter) >= 0) {
                return; // a client picks a boundary its content does not contain
            }
            body.writeBytes(delimiter);
            body.writeBytes(("\r\nContent-Disposition: form-data; name=\"" + quoted(part.name) + "\""
                    + (part.fileName == null ? "" : part.extended ? "; filename*=UTF-8''" + encoded(part.fileName)
                    : "; filename=\"" + quoted(part.fileName) + "\"")
                    + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(part.content);
        }
        body.writeBytes(delimiter);
        body.writeBytes("--\r\n".getBytes(StandardCharsets.ISO_8859_1));

        MultipartReader reader = new MultipartReader(Fuzzing.trickle(body.toByteArray(), () -> maxRead), boundary.toString());
        for (Written written : parts) {
            MultipartReader.Part read = reader.next().orElseThrow(() -> new AssertionError("a part went missing"));
            assertThat(read.name(), is(written.name.trim()));
            assertThat(read.fileName(), is(Optional.ofNullable(written.fileName)
                    .map(name -> written.extended ? name : name.trim())));
            assertArrayEquals(written.content, read.body().readAllBytes());
        }
        assertThat(reader.next(), is(Optional.empty()));
    }

    private static void partHeadersThatNeverEndAreRefusedWithinOneBuffer(FuzzedDataProvider data) throws IOException {
        int maxRead = data.consumeInt(1, BUFFER);
        byte[] filler = data.consumeRemainingAsBytes();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("--b\r\nContent-Disposition: form-data; name=\"file\"\r\nX: ".getBytes(StandardCharsets.US_ASCII));
        while (body.size() < 4 * BUFFER) {
            body.writeBytes(filler.length == 0 ? new byte[] {'x'} : filler);
        }
        byte[] bytes = body.toByteArray();
        if (indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) >= 0) {
            return;
        }
        Fuzzing.Trickle in = Fuzzing.trickle(bytes, () -> maxRead);
        try {
            new MultipartReader(in, "b").next();
            throw new AssertionError("headers of " + bytes.length + " bytes were taken");
        } catch (MultipartReader.MalformedMultipartException refused) {
            Fuzzing.assertRefusal(400, refused.getMessage());
        }
        assertThat("bytes read before refusing", in.taken(), lessThanOrEqualTo(BUFFER + maxRead));
    }

    private record Written(String name, String fileName, boolean extended, byte[] content) {
    }

    /** What a header line can hold: no CR, LF or NUL (a browser percent-encodes them). */
    private static String oneLine(String text) {
        return new String(text.replaceAll("[\r\n\u0000]", "").getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static String quoted(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String encoded(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
