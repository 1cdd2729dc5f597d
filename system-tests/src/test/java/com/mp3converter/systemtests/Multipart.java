package com.mp3converter.systemtests;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** multipart/form-data bodies written by hand, so tests can send exactly the bytes they mean. */
final class Multipart {
    private Multipart() {
    }

    static byte[] filePart(String name, byte[] content) {
        ByteArrayOutputStream part = new ByteArrayOutputStream();
        part.writeBytes(("Content-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        part.writeBytes(content);
        return part.toByteArray();
    }

    static byte[] field(String name, String value) {
        return ("Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] body(String boundary, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            body.writeBytes(("--" + boundary + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            body.writeBytes(part);
            body.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return body.toByteArray();
    }
}
