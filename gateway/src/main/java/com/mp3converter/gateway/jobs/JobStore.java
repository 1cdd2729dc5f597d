package com.mp3converter.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.MongoConnection;

import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The {@code jobs} collection: the gateway's own, no other service reads or writes it. Uploads insert jobs, the
 * fold of {@code mp3.job-events} moves them on (one conditional write per change, guarded by the job's version),
 * two outboxes ({@link Outbox#VIDEO}, {@link Outbox#NOTICE}) hold what is still to be published.
 */
public final class JobStore {
    private final MongoCollection<Document> jobs;
    private final Clock clock;
    private final Map<Outbox, MongoOutbox<Job>> outboxes;

    /** The messages a job owes a stream: recorded with the job, relayed by {@link OutboxRelay}. */
    public enum Outbox {
        /** {@code video.uploaded} on {@code mp3.videos}, from the upload. */
        VIDEO("video"),
        /** {@code job.done} or {@code job.failed} on {@code mp3.notifications}, from the fold of the outcome. */
        NOTICE("notice");

        private final String name;

        Outbox(String name) {
            this.name = name;
        }
    }

    public MongoOutbox<Job> outbox(Outbox box) {
        return outboxes.get(box);
    }

    /** {@code outboxLease}: how long a replica holds a job's message while it publishes it. */
    public JobStore(MongoConnection mongo, Clock clock, Duration outboxLease) {
        this.jobs = mongo.database().getCollection("jobs");
        this.clock = clock;
        this.outboxes = new EnumMap<>(Outbox.class);
        for (Outbox box : Outbox.values()) {
            outboxes.put(box, new MongoOutbox<>(box.name, jobs, Job::from, outboxLease, clock));
        }
    }

    /** Indexes for the queries below; creating an existing index is a no-op. */
    public void createIndexes() {
        jobs.createIndex(Indexes.compoundIndex(Indexes.ascending("owner.userId"), Indexes.descending("createdAt")));
        outboxes.values().forEach(MongoOutbox::createIndexes);
        jobs.createIndex(Indexes.ascending("mp3.fileId"));
        jobs.createIndex(Indexes.ascending("state", "finishedAt")); // the MP3 retention's pass, the state counts
    }

    /** Stores a new job with its {@code video.uploaded} pending. */
    public void insert(Job job) {
        jobs.insertOne(job.toDocument().append("outbox", new Document(Outbox.VIDEO.name, outbox(Outbox.VIDEO).entry())));
    }

    public Optional<Job> find(String jobId) {
        return Optional.ofNullable(jobs.find(Filters.eq("_id", jobId)).first()).map(Job::from);
    }

    /** The job if it belongs to this user; someone else's job is as absent as an unknown one. */
    public Optional<Job> findOwned(String jobId, String userId) {
        return find(jobId).filter(job -> job.owner().userId().equals(userId));
    }

    public Optional<Job> findByMp3(String mp3FileId, String userId) {
        return Optional.ofNullable(jobs.find(Filters.and(Filters.eq("mp3.fileId", mp3FileId),
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
    public long countInState(JobState state) {
        return jobs.countDocuments(Filters.eq("state", state.name()));
    }

    public long countInFlight(String userId) {
        return jobs.countDocuments(Filters.and(Filters.eq("owner.userId", userId),
                Filters.in("state", JobState.QUEUED.name(), JobState.PROCESSING.name())));
    }

    /**
     * Bytes this user's stored videos and MP3s take, and the MP3s being made: each reserves what it can take at most
     * from the moment its conversion starts, until it ends.
     */
    public long bytesStored(String userId) {
        long total = 0;
        for (Document d : jobs.find(Filters.eq("owner.userId", userId)).projection(new Document("sourceBytes", 1)
                .append("videoFileId", 1).append("mp3", 1).append("mp3ExpiredAt", 1).append("mp3Reserved", 1)
                .append("state", 1))) {
            if (d.get("videoFileId") != null && d.get("sourceBytes") instanceof Number n) {
                total += n.longValue();
            }
            if (d.get("mp3") instanceof Document mp3 && d.get("mp3ExpiredAt") == null && mp3.get("bytes") instanceof Number n) {
                total += n.longValue();
            } else if (JobState.PROCESSING.name().equals(d.get("state")) && d.get("mp3Reserved") instanceof Number n) {
                total += n.longValue();
            }
        }
        return total;
    }

    public boolean delete(String jobId) {
        return jobs.deleteOne(Filters.eq("_id", jobId)).getDeletedCount() == 1;
    }

    // --- the fold ------------------------------------------------------------------------------------------

    /**
     * Writes what the fold changed, if nobody wrote the job since {@code before} was read; a job that became
     * terminal gets its notice pending in the same write. False: re-read and fold again (or the job is gone).
     */
    boolean storeFolded(Job before, Job after) {
        Bson set = new Document("$set", after.foldedFields());
        if (after.state().terminal() && !before.state().terminal()) {
            set = Updates.combine(set, outbox(Outbox.NOTICE).markPending());
        }
        return jobs.updateOne(Filters.and(Filters.eq("_id", before.id()), Filters.eq("version", before.version())),
                Updates.combine(set, Updates.inc("version", 1))).getModifiedCount() == 1;
    }

    // --- retention -----------------------------------------------------------------------------------------

    /** DONE jobs whose MP3 was finished before {@code cutoff} and is still stored. */
    public List<Job> mp3sFinishedBefore(Instant cutoff, int limit) {
        List<Job> expired = new ArrayList<>();
        jobs.find(Filters.and(Filters.eq("state", JobState.DONE.name()), Filters.exists("mp3ExpiredAt", false),
                        Filters.lt("finishedAt", Date.from(cutoff))))
                .limit(limit).forEach(d -> expired.add(Job.from(d)));
        return expired;
    }

    public void mp3Expired(String jobId) {
        Instant now = clock.instant();
        jobs.updateOne(Filters.eq("_id", jobId), Updates.combine(Updates.set("mp3ExpiredAt", Date.from(now)),
                Updates.set("updatedAt", Date.from(now))));
    }
}
