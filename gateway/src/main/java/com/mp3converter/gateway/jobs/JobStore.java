package com.mp3converter.common.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.stream.Events;

import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The job state machine in the {@code jobs} collection. Every transition is one conditional update, so
 * two processes never both win: a claim needs QUEUED or an expired lease, an outcome needs the lease.
 */
public final class JobStore {
    private final MongoCollection<Document> jobs;
    private final MongoCollection<Document> idempotencyKeys;
    private final Clock clock;

    public JobStore(MongoConnection mongo, Clock clock) {
        this.jobs = mongo.database().getCollection("jobs");
        this.idempotencyKeys = mongo.database().getCollection("idempotency_keys");
        this.clock = clock;
    }

    /** Indexes for the queries below; creating an existing index is a no-op. */
    public void createIndexes() {
        jobs.createIndex(Indexes.compoundIndex(Indexes.ascending("owner.userId"), Indexes.descending("createdAt")));
        jobs.createIndex(Indexes.ascending("outbox.pending"));
        jobs.createIndex(Indexes.ascending("mp3FileId"));
    }

    /** The new job as the gateway stores it, outbox pending: the relay publishes video.uploaded from it. */
    public static Document newJob(String jobId, Events.Owner owner, String sourceName, long sourceBytes, String sha256,
                                  String videoFileId, Events.Options options, Map<String, String> traceHeaders,
                                  Instant now) {
        Document opts = new Document();
        if (options.bitrateKbps() != null) {
            opts.append("bitrateKbps", options.bitrateKbps());
        }
        if (options.vbrQuality() != null) {
            opts.append("vbrQuality", options.vbrQuality());
        }
        return new Document("_id", jobId)
                .append("owner", new Document("userId", owner.userId()).append("email", owner.email()))
                .append("sourceName", sourceName)
                .append("sourceBytes", sourceBytes)
                .append("sourceSha256", sha256)
                .append("videoFileId", videoFileId)
                .append("options", opts)
                .append("state", JobState.QUEUED.name())
                .append("progress", 0.0)
                .append("attempts", 0)
                .append("createdAt", Date.from(now))
                .append("updatedAt", Date.from(now))
                .append("outbox", new Document("pending", true).append("headers", new Document(traceHeaders)));
    }

    public void insert(Document job) {
        jobs.insertOne(job);
    }

    /**
     * Reserves an idempotency key for a user: empty when this call owns it, else the job id stored
     * for it by an earlier request.
     */
    public Optional<String> reserveIdempotencyKey(String userId, String key, String jobId) {
        try {
            idempotencyKeys.insertOne(new Document("_id", userId + ":" + key).append("jobId", jobId)
                    .append("createdAt", Date.from(clock.instant())));
            return Optional.empty();
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            Document existing = idempotencyKeys.find(Filters.eq("_id", userId + ":" + key)).first();
            return Optional.ofNullable(existing).map(d -> d.getString("jobId"));
        }
    }

    public void releaseIdempotencyKey(String userId, String key) {
        idempotencyKeys.deleteOne(Filters.eq("_id", userId + ":" + key));
    }

    public Optional<Job> find(String jobId) {
        return Optional.ofNullable(jobs.find(Filters.eq("_id", jobId)).first()).map(Job::from);
    }

    /** The job if it belongs to this user; someone else's job is as absent as an unknown one. */
    public Optional<Job> findOwned(String jobId, String userId) {
        return find(jobId).filter(job -> job.owner().userId().equals(userId));
    }

    public Optional<Job> findByMp3(String mp3FileId, String userId) {
        return Optional.ofNullable(jobs.find(Filters.and(Filters.eq("mp3FileId", mp3FileId),
                Filters.eq("owner.userId", userId))).first()).map(Job::from);
    }

    public List<Job> list(String userId, int offset, int limit) {
        List<Job> page = new ArrayList<>();
        jobs.find(Filters.eq("owner.userId", userId)).sort(Sorts.descending("createdAt", "_id"))
                .skip(offset).limit(limit).forEach(d -> page.add(Job.from(d)));
        return page;
    }

    public long count(String userId) {
        return jobs.countDocuments(Filters.eq("owner.userId", userId));
    }

    /** All jobs in a state, for the jobs-by-state metric. */
    public long countInState(String state) {
        return jobs.countDocuments(Filters.eq("state", state));
    }

    public long countInFlight(String userId) {
        return jobs.countDocuments(Filters.and(Filters.eq("owner.userId", userId),
                Filters.in("state", JobState.QUEUED.name(), JobState.PROCESSING.name())));
    }

    /** Bytes this user's stored videos and MP3s take. */
    public long bytesStored(String userId) {
        long total = 0;
        for (Document d : jobs.find(Filters.eq("owner.userId", userId))
                .projection(new Document("sourceBytes", 1).append("mp3Bytes", 1).append("videoFileId", 1))) {
            if (d.get("videoFileId") != null && d.get("sourceBytes") instanceof Number n) {
                total += n.longValue();
            }
            if (d.get("mp3Bytes") instanceof Number n) {
                total += n.longValue();
            }
        }
        return total;
    }

    public boolean delete(String jobId) {
        return jobs.deleteOne(Filters.eq("_id", jobId)).getDeletedCount() == 1;
    }

    // --- outbox (gateway) ----------------------------------------------------------------------------

    /** Jobs whose video.uploaded is not confirmed yet, oldest first. */
    public List<Job> pendingOutbox(int limit) {
        List<Job> pending = new ArrayList<>();
        jobs.find(Filters.eq("outbox.pending", true)).sort(Sorts.ascending("createdAt")).limit(limit)
                .forEach(d -> pending.add(Job.from(d)));
        return pending;
    }

    /** The publishing id recorded for this job and producer, or records {@code id} and returns it. */
    public long publishingId(String jobId, String producer, long id) {
        Document d = jobs.findOneAndUpdate(
                Filters.and(Filters.eq("_id", jobId), Filters.exists("outbox.publishingIds." + producer, false)),
                Updates.set("outbox.publishingIds." + producer, id),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        if (d != null) {
            return id;
        }
        Document existing = jobs.find(Filters.eq("_id", jobId)).first();
        if (existing == null) {
            return -1;
        }
        Document ids = existing.get("outbox", Document.class).get("publishingIds", Document.class);
        return ((Number) ids.get(producer)).longValue();
    }

    public void outboxPublished(String jobId) {
        jobs.updateOne(Filters.eq("_id", jobId), Updates.combine(Updates.set("outbox.pending", false),
                Updates.set("outbox.publishedAt", Date.from(clock.instant()))));
    }

    // --- conversion (transcoder) -------------------------------------------------------------------

    /** QUEUED, or PROCESSING with an expired lease → PROCESSING for this owner; empty when someone else has it. */
    public Optional<Job> claim(String jobId, String leaseOwner, Duration lease) {
        Instant now = clock.instant();
        Bson claimable = Filters.and(Filters.eq("_id", jobId), Filters.or(
                Filters.eq("state", JobState.QUEUED.name()),
                Filters.and(Filters.eq("state", JobState.PROCESSING.name()), Filters.lt("lease.expiresAt", Date.from(now))),
                Filters.and(Filters.eq("state", JobState.PROCESSING.name()), Filters.eq("lease.owner", leaseOwner))));
        Document d = jobs.findOneAndUpdate(claimable, Updates.combine(
                        Updates.set("state", JobState.PROCESSING.name()),
                        Updates.set("lease", new Document("owner", leaseOwner).append("expiresAt", Date.from(now.plus(lease)))),
                        Updates.set("progress", 0.0),
                        Updates.set("startedAt", Date.from(now)),
                        Updates.set("updatedAt", Date.from(now)),
                        Updates.inc("attempts", 1)),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        return Optional.ofNullable(d).map(Job::from);
    }

    /** Extends the lease and records progress; false when the lease was lost. */
    public boolean heartbeat(String jobId, String leaseOwner, Duration lease, double progress) {
        Instant now = clock.instant();
        return jobs.updateOne(leased(jobId, leaseOwner), Updates.combine(
                Updates.set("lease.expiresAt", Date.from(now.plus(lease))),
                Updates.set("progress", progress),
                Updates.set("updatedAt", Date.from(now)))).getModifiedCount() == 1;
    }

    /** A transient failure: back to QUEUED for another attempt by whoever consumes it next. */
    public boolean release(String jobId, String leaseOwner, Events.Reason reason) {
        return jobs.updateOne(leased(jobId, leaseOwner), Updates.combine(
                Updates.set("state", JobState.QUEUED.name()),
                Updates.unset("lease"),
                Updates.set("lastError", new Document("code", reason.code()).append("message", reason.message())),
                Updates.set("updatedAt", Date.from(clock.instant())))).getModifiedCount() == 1;
    }

    public boolean done(String jobId, String leaseOwner, String mp3FileId, long mp3Bytes, double durationSeconds,
                        boolean sourceDeleted) {
        Instant now = clock.instant();
        List<Bson> updates = new ArrayList<>(List.of(
                Updates.set("state", JobState.DONE.name()),
                Updates.unset("lease"),
                Updates.set("progress", 1.0),
                Updates.set("mp3FileId", mp3FileId),
                Updates.set("mp3Bytes", mp3Bytes),
                Updates.set("durationSeconds", durationSeconds),
                Updates.set("finishedAt", Date.from(now)),
                Updates.set("updatedAt", Date.from(now))));
        if (sourceDeleted) {
            updates.add(Updates.unset("videoFileId"));
        }
        return jobs.updateOne(leased(jobId, leaseOwner), Updates.combine(updates)).getModifiedCount() == 1;
    }

    public boolean failed(String jobId, String leaseOwner, Events.Reason reason) {
        Instant now = clock.instant();
        Bson owned = leaseOwner == null
                ? Filters.and(Filters.eq("_id", jobId), Filters.in("state", JobState.QUEUED.name(), JobState.PROCESSING.name()))
                : leased(jobId, leaseOwner);
        return jobs.updateOne(owned, Updates.combine(
                Updates.set("state", JobState.FAILED.name()),
                Updates.unset("lease"),
                Updates.set("error", new Document("code", reason.code()).append("message", reason.message())),
                Updates.set("finishedAt", Date.from(now)),
                Updates.set("updatedAt", Date.from(now)))).getModifiedCount() == 1;
    }

    /** The outcome's event is confirmed on mp3.notifications. */
    public void notificationPublished(String jobId) {
        jobs.updateOne(Filters.eq("_id", jobId), Updates.set("notificationPublishedAt", Date.from(clock.instant())));
    }

    public boolean notificationPublished(Job job) {
        Document d = jobs.find(Filters.eq("_id", job.id())).projection(new Document("notificationPublishedAt", 1)).first();
        return d != null && d.get("notificationPublishedAt") != null;
    }

    private static Bson leased(String jobId, String leaseOwner) {
        return Filters.and(Filters.eq("_id", jobId), Filters.eq("state", JobState.PROCESSING.name()),
                Filters.eq("lease.owner", leaseOwner));
    }

    // --- retention (gateway) ----------------------------------------------------------------------------

    /** DONE jobs whose MP3 was finished before {@code cutoff} and is still stored. */
    public List<Job> mp3sFinishedBefore(Instant cutoff, int limit) {
        List<Job> expired = new ArrayList<>();
        jobs.find(Filters.and(Filters.eq("state", JobState.DONE.name()), Filters.exists("mp3FileId", true),
                        Filters.lt("finishedAt", Date.from(cutoff))))
                .limit(limit).forEach(d -> expired.add(Job.from(d)));
        return expired;
    }

    public void mp3Expired(String jobId) {
        Instant now = clock.instant();
        jobs.updateOne(Filters.eq("_id", jobId), Updates.combine(Updates.unset("mp3FileId"),
                Updates.set("mp3ExpiredAt", Date.from(now)), Updates.set("updatedAt", Date.from(now))));
    }

    // --- notification (mailer) ---------------------------------------------------------------------

    public void notified(String jobId, Instant at) {
        jobs.updateOne(Filters.eq("_id", jobId), Updates.combine(Updates.set("notifiedAt", Date.from(at)),
                Updates.unset("notificationError")));
    }

    public void notificationFailed(String jobId, String error) {
        jobs.updateOne(Filters.eq("_id", jobId), Updates.set("notificationError", error));
    }
}
