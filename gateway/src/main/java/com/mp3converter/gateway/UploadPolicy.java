package com.mp3converter.gateway;

import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.gateway.jobs.JobStore;

/**
 * What a user may upload now, the same for {@code POST /upload} and resumable uploads at {@code /files/}: the size
 * limit, the storage quota (jobs' files plus unfinished resumable uploads) and the jobs in flight; and the
 * conversion options both accept.
 */
public final class UploadPolicy {
    private final Limits limits;
    private final JobStore jobs;
    private final ToLongFunction<String> unfinishedBytes;
    private final ToLongFunction<String> unfinishedUploads;

    /** Size limit and per-user quotas, from {@code gateway.upload} and {@code gateway.quota}. */
    public record Limits(long maxBytes, long maxBytesStoredPerUser, int maxJobsInFlightPerUser) {
    }

    /** How many bytes this upload may have, and the refusal when it sends more. */
    public record Allowance(long bytes, Supplier<ProblemException> exceeded) {
    }

    public UploadPolicy(Limits limits, JobStore jobs, ToLongFunction<String> unfinishedBytes,
                        ToLongFunction<String> unfinishedUploads) {
        this.limits = limits;
        this.jobs = jobs;
        this.unfinishedBytes = unfinishedBytes;
        this.unfinishedUploads = unfinishedUploads;
    }

    public long maxBytes() {
        return limits.maxBytes();
    }

    /**
     * The size limit, or less when the user's storage quota is nearer; enforced on the bytes received (a chunked
     * upload declares no length). Uploads running at once each see the same stored total: at most the in-flight
     * limit of them can pass the quota together, each by at most its own size.
     */
    public Allowance allowance(String userId, long declared) {
        if (jobs.countInFlight(userId) + unfinishedUploads.applyAsLong(userId) >= limits.maxJobsInFlightPerUser()) {
            throw refused(429, "too-many-jobs", "Too many jobs in flight",
                    "you have " + limits.maxJobsInFlightPerUser()
                            + " jobs queued or converting or uploads unfinished; wait for some to finish")
                    .header("Retry-After", "30");
        }
        long stored = jobs.bytesStored(userId) + unfinishedBytes.applyAsLong(userId);
        long left = Math.max(0, limits.maxBytesStoredPerUser() - stored);
        Allowance allowance = left < limits.maxBytes()
                ? new Allowance(left, () -> refused(413, "quota-exceeded", "Storage quota exceeded",
                        "you store " + stored + " bytes; this upload would pass your quota of "
                                + limits.maxBytesStoredPerUser() + " bytes: delete old jobs first"))
                : new Allowance(limits.maxBytes(), () -> refused(413, "too-large", "Upload too large",
                        "the upload is larger than the limit of " + limits.maxBytes() + " bytes"));
        if (declared > allowance.bytes()) {
            throw allowance.exceeded().get();
        }
        return allowance;
    }

    /** One conversion option given as text: an integer in its range, or a refusal saying so. */
    public static int option(String name, String text) {
        boolean bitrate = name.equals("bitrate");
        int min = bitrate ? 32 : 0;
        int max = bitrate ? 320 : 9;
        try {
            int value = Integer.parseInt(text.trim());
            if (text.length() <= 64 && value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw refused(400, "bad-options", "Invalid " + name, "'" + name + "' must be an integer from " + min + " to " + max
                + (bitrate ? " (kb/s)" : " (LAME VBR quality, 0 best)"));
    }

    public static Events.Options options(Integer bitrate, Integer quality) {
        if (bitrate != null && quality != null) {
            throw refused(400, "bad-options", "Conflicting options", "give either 'bitrate' (CBR) or 'quality' (VBR), not both");
        }
        return new Events.Options(bitrate, quality);
    }

    /** A refused upload, counted by its reason. */
    public static ProblemException refused(int status, String slug, String title, String detail) {
        GatewayMetrics.uploadRefused(slug);
        return new ProblemException(status, slug, title, detail);
    }
}
