package com.mp3converter.common.events;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The contract between the services: every event on every stream, as records (docs/ARCHITECTURE.md §3.3 says
 * who publishes and who consumes each). A message carries its {@code type} and the contract {@link #VERSION} as
 * application properties and the record as its JSON body. Adding a field keeps the version (readers ignore
 * fields they do not know); renaming or removing one, or changing its meaning, takes a new version, and a
 * consumer skips a version it does not know, saying so.
 */
public final class Events {
    public static final int VERSION = 1;

    /** {@code mp3.videos}, gateway → transcoder: a stored upload to convert. */
    public static final String VIDEO_UPLOADED = "video.uploaded";
    /** {@code mp3.job-events}, transcoder → gateway: what happened to a job's conversion. */
    public static final String CONVERSION_STARTED = "conversion.started";
    public static final String CONVERSION_PROGRESS = "conversion.progress";
    public static final String CONVERSION_DONE = "conversion.done";
    public static final String CONVERSION_FAILED = "conversion.failed";
    /** {@code mp3.job-events}, mailer → gateway: the owner was told, or could not be. */
    public static final String NOTIFICATION_SENT = "notification.sent";
    public static final String NOTIFICATION_FAILED = "notification.failed";
    /** {@code mp3.notifications}, gateway → mailer: a job's outcome, to tell its owner about. */
    public static final String JOB_DONE = "job.done";
    public static final String JOB_FAILED = "job.failed";
    /**
     * {@code mp3.videos} (the job's partition, behind its {@code video.uploaded}) and {@code mp3.notifications},
     * gateway → transcoder and mailer: the job was deleted; forget what you keep of it.
     */
    public static final String JOB_DELETED = "job.deleted";
    /** {@code mp3.notifications}, gateway → mailer: the account was deleted; forget what you keep of its owner. */
    public static final String ACCOUNT_DELETED = "account.deleted";

    private Events() {
    }

    /**
     * Either a CBR bitrate in kb/s or a LAME VBR quality (0 best .. 9), neither: 192 kb/s CBR; the MP3's title and
     * artist instead of the source's; {@code cover} {@code auto} (the source's picture, else a video frame; the
     * default), {@code frame} or {@code none}; a loudness target in LUFS (off when null); the part to convert,
     * {@code start} and {@code end} in seconds from the source's beginning. Null: not asked for.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Options(Integer bitrateKbps, Integer vbrQuality, String title, String artist, String cover,
                          Double loudness, Double start, Double end) {
        public static final Options DEFAULT = new Options(null, null, null, null, null, null, null, null);
    }

    /** Why a job failed: a stable code and a sentence its owner can act on (no paths, no library words). */
    public record Reason(String code, String message) {
    }

    public record VideoUploaded(String jobId, String videoFileId, String ownerId, String sourceName, long sourceBytes,
                                Options options, Instant uploadedAt) {
    }

    /**
     * Attempt {@code attempt} (counted before it began) of this job's conversion began on {@code worker}, once the
     * upload was probed: {@code audioSeconds} of sound to convert (absent when the file does not say), and
     * {@code mp3BytesReserved}, the most bytes its MP3 can take, which count against the owner's storage quota
     * until the outcome.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConversionStarted(String jobId, int attempt, String worker, Instant at, Double audioSeconds,
                                    Long mp3BytesReserved) {
        /** Without what the probe found (version-1 senders before it was added). */
        public ConversionStarted(String jobId, int attempt, String worker, Instant at) {
            this(jobId, attempt, worker, at, null, null);
        }
    }

    public record ConversionProgress(String jobId, int attempt, double progress, Instant at) {
    }

    /**
     * The MP3 is stored as {@code mp3FileId} (the same id for every attempt of the job); {@code warnings}: what it
     * lacks that was asked for or expected (a cover or chapters that could not be read, a cut past the end), in
     * words for its owner.
     */
    public record ConversionDone(String jobId, int attempt, String mp3FileId, long mp3Bytes, double durationSeconds,
                                 int sampleRate, int channels, boolean copied, double conversionSeconds, Instant at,
                                 List<String> warnings) {
    }

    public record ConversionFailed(String jobId, int attempt, Reason reason, Instant at) {
    }

    public record JobDeleted(String jobId, String ownerId, Instant at) {
    }

    public record AccountDeleted(String userId, Instant at) {
    }

    /** {@code channel}: {@code mail}. */
    public record NotificationSent(String jobId, String channel, Instant at) {
    }

    public record NotificationFailed(String jobId, String channel, String error, Instant at) {
    }

    public record Owner(String userId, String email) {
    }

    /** The stored MP3; {@code warnings} as the conversion reported them (none: absent). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Mp3(String fileId, long bytes, double durationSeconds, List<String> warnings) {
        public Mp3(String fileId, long bytes, double durationSeconds) {
            this(fileId, bytes, durationSeconds, List.of());
        }
    }

    /**
     * A job as its owner sees it: what {@code GET /jobs/{id}} answers, made in one place (the gateway, which owns
     * jobs and routes), with {@code links} relative to the public API ({@code self}, {@code events}, and {@code mp3},
     * {@code download} while the MP3 is kept). Other services show it, resolving the links against the public URL,
     * and never make links of their own.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JobView(String jobId, String state, double progress, String sourceName, long sourceBytes,
                          Options options, int attempts, Instant createdAt, Instant updatedAt, Instant startedAt,
                          Instant finishedAt, Mp3 mp3, Reason error, Instant mp3ExpiresAt, Instant mp3ExpiredAt,
                          Instant notifiedAt, String notificationError, Map<String, String> links) {
        /** The same view with its links made absolute under {@code publicUrl} (no trailing slash). */
        public JobView linkedFrom(String publicUrl) {
            Map<String, String> absolute = new LinkedHashMap<>();
            links.forEach((name, path) -> absolute.put(name, publicUrl + path));
            return new JobView(jobId, state, progress, sourceName, sourceBytes, options, attempts, createdAt, updatedAt,
                    startedAt, finishedAt, mp3, error, mp3ExpiresAt, mp3ExpiredAt, notifiedAt, notificationError,
                    Map.copyOf(absolute));
        }
    }

    /**
     * {@code job.done} (with {@code mp3}) or {@code job.failed} (with {@code error}), with {@code job}: the job's
     * view as {@code GET /jobs/{id}} shows it, which is what the mailer and the webhooks show. The fields before
     * {@code job} repeat parts of it for version-1 readers and go with the next version.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JobOutcome(String jobId, Owner owner, String sourceName, String state, Mp3 mp3, Reason error,
                             int attempts, Instant createdAt, Instant finishedAt, Instant mp3ExpiresAt, JobView job) {
    }
}
