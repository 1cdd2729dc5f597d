package com.mp3converter.gateway;

import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.DeletedJobs;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobEventsFolder;
import com.mp3converter.gateway.jobs.JobStore;

/**
 * Deletes a job with everything of it: the transcoder and the mailer are told first (recorded in
 * {@code deleted_jobs}, published by the relays), then its files and its document go. Safe to repeat: a gateway
 * that dies half-way leaves the job to be deleted again.
 */
final class JobDeleter {
    private final JobStore jobs;
    private final DeletedJobs deleted;
    private final MongoConnection mongo;

    JobDeleter(JobStore jobs, DeletedJobs deleted, MongoConnection mongo) {
        this.jobs = jobs;
        this.deleted = deleted;
        this.mongo = mongo;
    }

    void delete(Job job) {
        deleted.record(job.id(), job.owner().userId());
        JobEventsFolder.deleteQuietly(mongo, MongoConnection.VIDEOS_BUCKET, job.videoFileId());
        if (job.mp3() != null) {
            JobEventsFolder.deleteQuietly(mongo, MongoConnection.MP3_BUCKET, job.mp3().fileId());
        }
        jobs.delete(job.id());
    }
}
