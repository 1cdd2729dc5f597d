package com.mp3converter.gateway;

import java.time.Clock;
import java.time.Duration;

import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobEventsFolder;
import com.mp3converter.gateway.jobs.JobStore;

/**
 * Deletes MP3s older than the retention the mail announces ({@code media.mp3-retention}, 7 days by default)
 * and marks their jobs; every replica may run it, a second deletion of the same file is harmless.
 */
public final class Mp3Retention {
    private final JobStore jobs;
    private final MongoConnection mongo;
    private final Duration retention;
    private final Clock clock;

    public Mp3Retention(JobStore jobs, MongoConnection mongo, Duration retention, Clock clock) {
        this.jobs = jobs;
        this.mongo = mongo;
        this.retention = retention;
        this.clock = clock;
    }

    /** When the MP3 of a job finished at {@code finishedAt} is deleted (what the ready mail announces). */
    public java.time.Instant expiresAt(java.time.Instant finishedAt) {
        return finishedAt.plus(retention);
    }

    /** One pass; the number of MP3s deleted. */
    public int run() {
        int deleted = 0;
        for (Job job : jobs.mp3sFinishedBefore(clock.instant().minus(retention), 500)) {
            JobEventsFolder.deleteQuietly(mongo, MongoConnection.MP3_BUCKET, job.mp3().fileId());
            jobs.mp3Expired(job.id());
            deleted++;
        }
        return deleted;
    }
}
