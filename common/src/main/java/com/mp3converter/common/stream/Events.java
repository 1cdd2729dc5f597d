package com.mp3converter.common.stream;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The bodies of the stream messages (contract: docs/ARCHITECTURE.md, section 3.3). */
public final class Events {
    public static final String VIDEO_UPLOADED = "video.uploaded";
    public static final String MP3_READY = "mp3.ready";
    public static final String JOB_FAILED = "job.failed";

    private Events() {
    }

    public record Owner(String userId, String email) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Options(Integer bitrateKbps, Integer vbrQuality) {
        public static final Options DEFAULT = new Options(null, null);
    }

    public record Reason(String code, String message) {
    }

    public record VideoUploaded(String jobId, String videoFileId, Owner owner, String sourceName, long sourceBytes,
                                Options options, int attempt, Instant uploadedAt) {
    }

    public record Mp3Ready(String jobId, String mp3FileId, Owner owner, String sourceName, double durationSeconds,
                           long mp3Bytes, Instant finishedAt) {
    }

    public record JobFailed(String jobId, Owner owner, String sourceName, Reason reason, int attempts,
                            Instant failedAt) {
    }
}
