package com.mp3converter.gateway;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobEventsFolder;
import com.mp3converter.gateway.jobs.JobStore;

/**
 * Deletes MP3s older than the retention the mail announces ({@code media.mp3-retention}, 7 days by default)
 * and marks their jobs; every replica may run it, a second deletion of the same file is harmless.
 */
public final class Mp3Retention implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Mp3Retention.class.getName());

    private final JobStore jobs;
    private final MongoConnection mongo;
    private final Duration retention;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("mp3-retention").daemon(true).factory());

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

    public Mp3Retention start(Duration every) {
        timer.scheduleWithFixedDelay(this::runQuietly, every.toSeconds(), every.toSeconds(), TimeUnit.SECONDS);
        return this;
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

    private void runQuietly() {
        try {
            int deleted = run();
            if (deleted > 0) {
                LOG.info(() -> "deleted " + deleted + " MP3s older than " + retention);
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "MP3 retention pass failed: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
