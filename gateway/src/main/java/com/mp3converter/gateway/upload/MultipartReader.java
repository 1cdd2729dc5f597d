package com.mp3converter.gateway.upload;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * A streaming multipart/form-data reader (RFC 7578): parts are read one after the other straight from
 * the request, never buffered whole, so a 2 GiB upload costs one 64 KiB buffer. A body that ends
 * before its closing boundary is an {@link EOFException}, a malformed one a {@link MalformedMultipartException}.
 */
public final class MultipartReader {
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buf;
    private int pos;
    private int limit;
    private boolean eof;
    private boolean started;
    private boolean finished;
    private PartStream current;

    /** A part: its form field name, file name if any, declared content type and body. */
    public record Part(String name, Optional<String> fileName, Optional<String> contentType, InputStream body) {
    }

    /** The body does not follow the multipart syntax. */
    public static final class MalformedMultipartException extends IOException {
        public MalformedMultipartException(String message) {
            super(message);
        }
    }

    public MultipartReader(InputStream in, String boundary) {
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
            throw new IllegalArgumentException("the multipart boundary must have 1 to 70 characters");
        }
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[64 * 1024];
        // the first boundary has no CRLF before it: pretend it had one so every delimiter looks the same
        buf[0] = '\r';
        buf[1] = '\n';
        limit = 2;
    }

    /** The boundary parameter of a multipart/form-data content type, if it is one. */
    public static Optional<String> boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return Optional.empty();
        }
        return parameter(contentType, "boundary").filter(value -> !value.isEmpty());
    }

    /** The next part, or empty after the closing boundary. The previous part's body is skipped if unread. */
    public Optional<Part> next() throws IOException {
        if (current != null) {
            current.skipRest();
            current = null;
        } else if (!started) {
            skipPreamble();
        }
        started = true;
        if (finished) {
            return Optional.empty();
        }
        fill(2);
        if (limit - pos < 2) {
            throw new EOFException("the multipart body ended after a boundary");
        }
        if (buf[pos] == '-' && buf[pos + 1] == '-') {
            finished = true;
            return Optional.empty();
        }
        skipTransportPadding();
        if (buf[pos] != '\r' || buf[pos + 1] != '\n') {
            throw new MalformedMultipartException("a boundary must be followed by CRLF or --");
        }
        pos += 2;
        String headers = readHeaders();
        String disposition = null;
        String contentType = null;
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (name.equals("content-disposition")) {
                disposition = value;
            } else if (name.equals("content-type")) {
                contentType = value;
            }
        }
        if (disposition == null || !disposition.toLowerCase(Locale.ROOT).startsWith("form-data")) {
            throw new MalformedMultipartException("every part needs Content-Disposition: form-data");
        }
        String name = parameter(disposition, "name")
                .orElseThrow(() -> new MalformedMultipartException("a part has no name"));
        String dispositionHeader = disposition;
        Optional<String> fileName = parameter(dispositionHeader, "filename*").map(MultipartReader::decodeExtended)
                .or(() -> parameter(dispositionHeader, "filename"));
        current = new PartStream();
        return Optional.of(new Part(name, fileName, Optional.ofNullable(contentType), current));
    }

    private void skipPreamble() throws IOException {
        while (true) {
            fill(delimiter.length);
            int at = indexOfDelimiter();
            if (at >= 0) {
                pos = at + delimiter.length;
                return;
            }
            if (eof) {
                throw new MalformedMultipartException("no multipart boundary found in the body");
            }
            pos = Math.max(pos, limit - delimiter.length + 1);
        }
    }

    private void skipTransportPadding() throws IOException {
        while (true) {
            fill(2);
            if (limit - pos < 2) {
                throw new EOFException("the multipart body ended after a boundary");
            }
            if (buf[pos] == ' ' || buf[pos] == '\t') {
                pos++;
            } else {
                return;
            }
        }
    }

    private String readHeaders() throws IOException {
        int searched = 0;
        while (true) {
            fill(Math.min(buf.length, searched + 4));
            for (int i = pos + Math.max(0, searched - 3); i + 3 < limit; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    String headers = new String(buf, pos, i - pos, StandardCharsets.UTF_8);
                    pos = i + 4;
                    return headers;
                }
            }
            searched = limit - pos;
            if (searched > MAX_HEADER_BYTES) {
                throw new MalformedMultipartException("part headers longer than " + MAX_HEADER_BYTES + " bytes");
            }
            if (eof) {
                throw new EOFException("the multipart body ended inside part headers");
            }
        }
    }

    /** Makes at least {@code min} bytes available from pos, unless the stream ends first. */
    private void fill(int min) throws IOException {
        if (limit - pos >= min || eof) {
            return;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        while (limit < min && !eof) {
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
            }
        }
    }

    private int indexOfDelimiter() {
        byte first = delimiter[0];
        int last = limit - delimiter.length;
        outer:
        for (int i = pos; i <= last; i++) {
            if (buf[i] != first) {
                continue;
            }
            for (int j = 1; j < delimiter.length; j++) {
                if (buf[i + j] != delimiter[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * A parameter of a header value such as {@code form-data; name="file"; filename="a;b.mkv"}: parameters are split
     * on {@code ;} outside quoted strings, and a quoted value's backslash escapes are undone.
     */
    static Optional<String> parameter(String header, String name) {
        int i = header.indexOf(';');
        while (i >= 0 && i < header.length()) {
            int start = i + 1;
            int eq = header.indexOf('=', start);
            int semicolon = header.indexOf(';', start);
            if (eq < 0) {
                return Optional.empty();
            }
            if (semicolon >= 0 && semicolon < eq) {
                i = semicolon;
                continue;
            }
            String key = header.substring(start, eq).trim();
            StringBuilder value = new StringBuilder();
            int at = eq + 1;
            while (at < header.length() && header.charAt(at) == ' ') {
                at++;
            }
            if (at < header.length() && header.charAt(at) == '"') {
                for (at++; at < header.length() && header.charAt(at) != '"'; at++) {
                    char c = header.charAt(at);
                    if (c == '\\' && at + 1 < header.length()) {
                        c = header.charAt(++at);
                    }
                    value.append(c);
                }
                at = header.indexOf(';', at);
            } else {
                int end = header.indexOf(';', at);
                value.append(header, at, end < 0 ? header.length() : end);
                at = end;
            }
            if (key.equalsIgnoreCase(name)) {
                return Optional.of(value.toString().trim());
            }
            i = at;
        }
        return Optional.empty();
    }

    private static String decodeExtended(String value) {
        int quote = value.indexOf("''");
        String encoded = quote >= 0 ? value.substring(quote + 2) : value;
        try {
            return java.net.URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return encoded;
        }
    }

    private final class PartStream extends InputStream {
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            fill(delimiter.length + 1);
            int at = indexOfDelimiter();
            if (at == pos) {
                ended = true;
                pos += delimiter.length;
                return -1;
            }
            int end = at >= 0 ? at : (eof ? limit : limit - delimiter.length + 1);
            if (at < 0 && eof) {
                throw new EOFException("the upload ended before the multipart closing boundary: it is incomplete");
            }
            int n = Math.min(len, end - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        void skipRest() throws IOException {
            byte[] skip = new byte[8192];
            while (read(skip, 0, skip.length) >= 0) {
                // discard
            }
        }
    }
}
