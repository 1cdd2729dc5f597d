package com.mp3converter.common.jobs;

import java.time.Instant;
import java.util.Date;
import java.util.Map;

import com.mp3converter.common.stream.Events;

import org.bson.Document;

/** A job as stored in the {@code jobs} collection. */
public record Job(String id, Events.Owner owner, String sourceName, long sourceBytes, String sourceSha256,
                  String videoFileId, Events.Options options, JobState state, double progress, int attempts,
                  String mp3FileId, Long mp3Bytes, Double durationSeconds, Events.Reason error,
                  Instant createdAt, Instant updatedAt, Instant finishedAt, Instant notifiedAt,
                  String notificationError, Instant mp3ExpiredAt, Map<String, String> traceHeaders) {

    static Job from(Document d) {
        Document owner = d.get("owner", Document.class);
        Document options = d.get("options", Document.class);
        Document error = d.get("error", Document.class);
        Document outbox = d.get("outbox", Document.class);
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (outbox != null && outbox.get("headers") instanceof Document h) {
            h.forEach((k, v) -> headers.put(k, String.valueOf(v)));
        }
        return new Job(d.getString("_id"),
                new Events.Owner(owner.getString("userId"), owner.getString("email")),
                d.getString("sourceName"),
                number(d, "sourceBytes").longValue(),
                d.getString("sourceSha256"),
                d.getString("videoFileId"),
                options == null ? Events.Options.DEFAULT
                        : new Events.Options(options.getInteger("bitrateKbps"), options.getInteger("vbrQuality")),
                JobState.valueOf(d.getString("state")),
                number(d, "progress").doubleValue(),
                number(d, "attempts").intValue(),
                d.getString("mp3FileId"),
                d.get("mp3Bytes") == null ? null : number(d, "mp3Bytes").longValue(),
                d.get("durationSeconds") == null ? null : number(d, "durationSeconds").doubleValue(),
                error == null ? null : new Events.Reason(error.getString("code"), error.getString("message")),
                instant(d, "createdAt"), instant(d, "updatedAt"), instant(d, "finishedAt"), instant(d, "notifiedAt"),
                d.getString("notificationError"),
                instant(d, "mp3ExpiredAt"),
                headers);
    }

    private static Number number(Document d, String key) {
        Object value = d.get(key);
        return value instanceof Number n ? n : 0;
    }

    private static Instant instant(Document d, String key) {
        Date date = d.getDate(key);
        return date == null ? null : date.toInstant();
    }
}
