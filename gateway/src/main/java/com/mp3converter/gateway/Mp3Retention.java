package com.mp3converter.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobEventsFolder;
import com.mp3converter.gateway.jobs.JobStore;

/**
 * Deletes MP3s older than the retention the mail announces ({@code media.mp3-retention}, 7 days by default)
 * and marks their jobs; every replica may run it, a second deletion of the same file is harmless.
 */
public final class Mp3Retention {
    private static final int BATCH = 500;

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
    public Instant expiresAt(Instant finishedAt) {
        return finishedAt.plus(retention);
    }

    /** One pass, in batches until none is left; the number of MP3s deleted. */
    public int run() {
        Instant cutoff = clock.instant().minus(retention);
        int deleted = 0;
        List<Job> batch;
        do {
            batch = jobs.mp3sFinishedBefore(cutoff, BATCH);
            for (Job job : batch) {
                JobEventsFolder.deleteQuietly(mongo, MongoConnection.MP3_BUCKET, job.mp3().fileId());
                jobs.mp3Expired(job.id());
                deleted++;
            }
        } while (batch.size() == BATCH);
        return deleted;
    }
}
