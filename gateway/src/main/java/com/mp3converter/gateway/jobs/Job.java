package com.mp3converter.gateway.jobs;

import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mp3converter.common.events.Events;

import org.bson.Document;

/**
 * A job as the gateway keeps it in the {@code jobs} collection, which only the gateway reads and writes: what was
 * uploaded, and what the transcoder and the mailer reported about it (folded in by {@link JobFold}).
 * {@code version} counts the fold's writes; {@code foldedOffset} is the last {@code mp3.job-events} offset folded in;
 * {@code mp3Reserved} the most bytes the MP3 can take, as the conversion's start reported, counted against the
 * owner's quota until the MP3 itself is.
 */
public record Job(String id, Events.Owner owner, String sourceName, long sourceBytes,
                  String videoFileId, Events.Options options, JobState state, double progress, int attempts,
                  Events.Mp3 mp3, Events.Reason error, Instant createdAt, Instant updatedAt, Instant startedAt,
                  Instant finishedAt, Instant notifiedAt, String notificationError, Instant mp3ExpiredAt, String worker,
                  long version, long foldedOffset, Map<String, String> traceHeaders, long mp3Reserved) {

    /** A job just uploaded, QUEUED. */
    public static Job uploaded(String id, Events.Owner owner, String sourceName, long sourceBytes,
                               String videoFileId, Events.Options options, Map<String, String> traceHeaders,
                               Instant now) {
        return new Job(id, owner, sourceName, sourceBytes, videoFileId, options, JobState.QUEUED, 0, 0, null,
                null, now, now, null, null, null, null, null, null, 0, -1, Map.copyOf(traceHeaders), 0);
    }

    Job with(JobState state, double progress, int attempts, String worker, Instant startedAt, Instant updatedAt) {
        return new Job(id, owner, sourceName, sourceBytes, videoFileId, options, state, progress, attempts,
                mp3, error, createdAt, updatedAt, startedAt, finishedAt, notifiedAt, notificationError, mp3ExpiredAt, worker, version,
                foldedOffset, traceHeaders, mp3Reserved);
    }

    /** The same job with the MP3's bytes reserved against the quota (0: none reported). */
    Job reserving(long bytes) {
        return new Job(id, owner, sourceName, sourceBytes, videoFileId, options, state, progress, attempts,
                mp3, error, createdAt, updatedAt, startedAt, finishedAt, notifiedAt, notificationError, mp3ExpiredAt, worker,
                version, foldedOffset, traceHeaders, bytes);
    }

    Job finished(JobState state, Events.Mp3 mp3, Events.Reason error, int attempts, Instant at) {
        return new Job(id, owner, sourceName, sourceBytes, null,
                options, state, state == JobState.DONE ? 1.0 : progress, attempts, mp3, error, createdAt, at, startedAt, at,
                notifiedAt, notificationError, mp3ExpiredAt, worker, version, foldedOffset, traceHeaders, mp3Reserved);
    }

    Job notified(Instant notifiedAt, String notificationError, Instant at) {
        return new Job(id, owner, sourceName, sourceBytes, videoFileId, options, state, progress, attempts,
                mp3, error, createdAt, at, startedAt, finishedAt, notifiedAt, notificationError, mp3ExpiredAt, worker, version,
                foldedOffset, traceHeaders, mp3Reserved);
    }

    Job folded(long offset) {
        return new Job(id, owner, sourceName, sourceBytes, videoFileId, options, state, progress, attempts,
                mp3, error, createdAt, updatedAt, startedAt, finishedAt, notifiedAt, notificationError, mp3ExpiredAt, worker,
                version + 1, offset, traceHeaders, mp3Reserved);
    }

    /** The stored form of a new job: its upload and the fold's fields (the store adds its outbox). */
    Document toDocument() {
        Document job = new Document("_id", id)
                .append("owner", new Document("userId", owner.userId()).append("email", owner.email()))
                .append("sourceName", sourceName)
                .append("sourceBytes", sourceBytes)
                .append("options", StoredOptions.toDocument(options))
                .append("traceHeaders", new Document(new LinkedHashMap<>(traceHeaders)))
                .append("createdAt", Date.from(createdAt))
                .append("version", version);
        job.putAll(foldedFields());
        return job;
    }

    /** The fields the fold owns, as they are now: written together with a version check. */
    Document foldedFields() {
        return new Document("state", state.name())
                .append("progress", progress)
                .append("attempts", attempts)
                .append("videoFileId", videoFileId)
                .append("mp3", mp3 == null ? null : new Document("fileId", mp3.fileId()).append("bytes", mp3.bytes())
                        .append("durationSeconds", mp3.durationSeconds()).append("warnings", mp3.warnings()))
                .append("error", error == null ? null : new Document("code", error.code()).append("message", error.message()))
                .append("startedAt", date(startedAt))
                .append("finishedAt", date(finishedAt))
                .append("notifiedAt", date(notifiedAt))
                .append("notificationError", notificationError)
                .append("worker", worker)
                .append("mp3Reserved", mp3Reserved)
                .append("updatedAt", date(updatedAt))
                .append("foldedOffset", foldedOffset);
    }

    static Job from(Document d) {
        Document owner = d.get("owner", Document.class);
        Document mp3 = d.get("mp3", Document.class);
        Document error = d.get("error", Document.class);
        Map<String, String> headers = new LinkedHashMap<>();
        if (d.get("traceHeaders") instanceof Document h) {
            h.forEach((k, v) -> headers.put(k, String.valueOf(v)));
        }
        return new Job(d.getString("_id"),
                new Events.Owner(owner.getString("userId"), owner.getString("email")),
                d.getString("sourceName"),
                number(d, "sourceBytes").longValue(),
                d.getString("videoFileId"),
                StoredOptions.from(d.get("options", Document.class)),
                JobState.valueOf(d.getString("state")),
                number(d, "progress").doubleValue(),
                number(d, "attempts").intValue(),
                mp3 == null ? null : new Events.Mp3(mp3.getString("fileId"), number(mp3, "bytes").longValue(),
                        number(mp3, "durationSeconds").doubleValue(), mp3.getList("warnings", String.class, List.of())),
                error == null ? null : new Events.Reason(error.getString("code"), error.getString("message")),
                instant(d, "createdAt"), instant(d, "updatedAt"), instant(d, "startedAt"), instant(d, "finishedAt"),
                instant(d, "notifiedAt"),
                d.getString("notificationError"),
                instant(d, "mp3ExpiredAt"),
                d.getString("worker"),
                number(d, "version").longValue(),
                d.get("foldedOffset") == null ? -1 : number(d, "foldedOffset").longValue(),
                headers,
                number(d, "mp3Reserved").longValue());
    }

    private static Number number(Document d, String key) {
        Object value = d.get(key);
        return value instanceof Number n ? n : 0;
    }

    private static Instant instant(Document d, String key) {
        Date date = d.getDate(key);
        return date == null ? null : date.toInstant();
    }

    private static Date date(Instant instant) {
        return instant == null ? null : Date.from(instant);
    }
}
