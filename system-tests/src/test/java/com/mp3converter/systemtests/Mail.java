package com.mp3converter.systemtests;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

/** A received mail, parsed from the raw MIME the SMTP server's API returns. */
record Mail(String subject, String messageId, String jobId, String kind, String text, String html) {
    private static final Pattern MP3_ID = Pattern.compile("MP3 file id:\\s*([0-9a-f]{24})");

    static Mail parse(JsonNode apiMessage) throws Exception {
        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(apiMessage.get("mimeMessage").asText().getBytes(StandardCharsets.UTF_8)));
        String text = null;
        String html = null;
        if (mime.getContent() instanceof Multipart multipart) {
            for (int i = 0; i < multipart.getCount(); i++) {
                Part part = multipart.getBodyPart(i);
                if (part.isMimeType("text/plain")) {
                    text = (String) part.getContent();
                } else if (part.isMimeType("text/html")) {
                    html = (String) part.getContent();
                }
            }
        }
        return new Mail(mime.getSubject(), mime.getMessageID(), mime.getHeader("X-Mp3converter-Job", null),
                mime.getHeader("X-Mp3converter-Kind", null), text, html);
    }

    String mp3FileId() {
        Matcher m = MP3_ID.matcher(text);
        if (!m.find()) {
            throw new AssertionError("no MP3 file id in the mail: " + text);
        }
        return m.group(1);
    }
}
