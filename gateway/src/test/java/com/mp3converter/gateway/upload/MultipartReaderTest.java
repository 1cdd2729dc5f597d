package com.mp3converter.gateway.upload;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MultipartReaderTest {
    private static final String BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 41, 4096, 1 << 20})
    void readsPartsWhateverTheReadSizes(int chunk) throws IOException {
        byte[] file = new byte[300_000];
        new Random(42).nextBytes(file);
        // bytes that look like the start of a delimiter inside the content must survive
        byte[] lookalike = ("\r\n--" + BOUNDARY.substring(0, 20)).getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(lookalike, 0, file, 1000, lookalike.length);
        byte[] body = body(part("bitrate", null, "128".getBytes()), part("file", "clip \"1\".mp4", file));
        MultipartReader reader = new MultipartReader(new Trickle(new ByteArrayInputStream(body), chunk), BOUNDARY);
        MultipartReader.Part first = reader.next().orElseThrow();
        assertThat(first.name(), is("bitrate"));
        assertThat(new String(first.body().readAllBytes(), StandardCharsets.UTF_8), is("128"));
        MultipartReader.Part second = reader.next().orElseThrow();
        assertThat(second.name(), is("file"));
        assertThat(second.fileName().orElseThrow(), is("clip \"1\".mp4"));
        assertArrayEquals(file, second.body().readAllBytes());
        assertThat(reader.next().isPresent(), is(false));
    }

    @Test
    void skipsAnUnreadPartAndDecodesExtendedFileNames() throws IOException {
        byte[] body = body(part("other", null, new byte[10_000]),
                ("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%9Cber%20clip.mkv\r\n\r\nabc").getBytes(StandardCharsets.UTF_8));
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), BOUNDARY);
        reader.next();
        MultipartReader.Part file = reader.next().orElseThrow();
        assertThat(file.fileName().orElseThrow(), is("Über clip.mkv"));
        assertThat(new String(file.body().readAllBytes(), StandardCharsets.UTF_8), is("abc"));
    }

    @Test
    void aTruncatedBodyIsAnEofNotASilentlyShortFile() throws IOException {
        byte[] body = body(part("file", "a.mp4", new byte[50_000]));
        byte[] cut = java.util.Arrays.copyOf(body, body.length - 100);
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(cut), BOUNDARY);
        MultipartReader.Part part = reader.next().orElseThrow();
        assertThrows(EOFException.class, () -> part.body().readAllBytes());
    }

    @Test
    void malformedBodiesAreRefused() {
        assertThrows(MultipartReader.MalformedMultipartException.class,
                () -> new MultipartReader(new ByteArrayInputStream("no boundary at all".getBytes()), BOUNDARY).next());
        byte[] noDisposition = ("--" + BOUNDARY + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + BOUNDARY + "--\r\n").getBytes();
        assertThrows(MultipartReader.MalformedMultipartException.class,
                () -> new MultipartReader(new ByteArrayInputStream(noDisposition), BOUNDARY).next());
        assertThat(MultipartReader.boundary("multipart/form-data; boundary=\"abc\"").orElseThrow(), is("abc"));
        assertThat(MultipartReader.boundary("application/json").isPresent(), is(false));
        assertThat(MultipartReader.boundary("multipart/form-data").isPresent(), is(false));
        assertThat("an empty boundary is none", MultipartReader.boundary("multipart/form-data; boundary=").isPresent(), is(false));
        assertThat(MultipartReader.boundary("multipart/form-data; boundary=\"\"").isPresent(), is(false));
    }

    @Test
    void parametersAreSplitOnlyOutsideQuotedStrings() {
        String disposition = "form-data; name=\"file\"; filename=\"a; name=\\\"evil\\\".mkv\"";
        assertThat(MultipartReader.parameter(disposition, "filename").orElseThrow(), is("a; name=\"evil\".mkv"));
        assertThat(MultipartReader.parameter(disposition, "name").orElseThrow(), is("file"));
        assertThat(MultipartReader.parameter("form-data; filename=\"x;y\"; name=bitrate", "name").orElseThrow(),
                is("bitrate"));
        assertThat(MultipartReader.boundary("multipart/form-data; charset=\"a;boundary=wrong\"; boundary=right")
                .orElseThrow(), is("right"));
    }

    private static byte[] part(String name, String fileName, byte[] content) {
        String disposition = "Content-Disposition: form-data; name=\"" + name + "\""
                + (fileName == null ? "" : "; filename=\"" + fileName.replace("\"", "\\\"") + "\"") + "\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(disposition.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] body(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("preamble to ignore\r\n".getBytes(StandardCharsets.US_ASCII));
        for (byte[] part : parts) {
            out.writeBytes(("--" + BOUNDARY + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(part);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Hands out at most {@code chunk} bytes per read, as a slow network would. */
    private static final class Trickle extends FilterInputStream {
        private final int chunk;

        Trickle(InputStream in, int chunk) {
            super(in);
            this.chunk = chunk;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, chunk));
        }
    }
}
