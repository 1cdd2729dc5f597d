package com.mp3converter.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.tracing.Tracing;

import org.bson.Document;

/**
 * The {@code jobs} collection: the gateway's own, no other service reads or writes it. Uploads insert jobs, the
 * fold of {@code mp3.job-events} moves them on (one conditional write per change, guarded by the job's version),
 * two outboxes ({@link Outbox#VIDEO}, {@link Outbox#NOTICE}) hold what is still to be published.
 */
public final class JobStore {
    private final MongoCollection<Document> jobs;
    private final Clock clock;
    private final Map<Outbox, Lease> leases;

    /** The messages a job owes a stream: recorded with the job, relayed by {@link OutboxRelay}. */
    public enum Outbox {
        /** {@code video.uploaded} on {@code mp3.videos}, from the upload. */
        VIDEO("video"),
        /** {@code job.done} or {@code job.failed} on {@code mp3.notifications}, from the fold of the outcome. */
        NOTICE("notice");

        private final String field;

        Outbox(String field) {
            this.field = "outbox." + field;
        }
    }

    /** {@code outboxLease}: how long a replica holds a job's message while it publishes it. */
    public JobStore(MongoConnection mongo, Clock clock, Duration outboxLease) {
        this.jobs = mongo.database().getCollection("jobs");
        this.clock = clock;
        this.leases = new EnumMap<>(Outbox.class);
        for (Outbox box : Outbox.values()) {
            leases.put(box, new Lease(jobs, box.field + ".", outboxLease, clock));
        }
    }

    /** Indexes for the queries below; creating an existing index is a no-op. */
    public void createIndexes() {
        jobs.createIndex(Indexes.compoundIndex(Indexes.ascending("owner.userId"), Indexes.descending("createdAt")));
        jobs.createIndex(Indexes.ascending(Outbox.VIDEO.field + ".pending"));
        jobs.createIndex(Indexes.ascending(Outbox.NOTICE.field + ".pending"));
        jobs.createIndex(Indexes.ascending("mp3.fileId"));
    }

    /** Stores a new job with its {@code video.uploaded} pending. */
    public void insert(Job job) {
        jobs.insertOne(job.toDocument());
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

    /** Bytes this user's stored videos and MP3s take. */
    public long bytesStored(String userId) {
        long total = 0;
        for (Document d : jobs.find(Filters.eq("owner.userId", userId))
                .projection(new Document("sourceBytes", 1).append("videoFileId", 1).append("mp3", 1).append("mp3ExpiredAt", 1))) {
            if (d.get("videoFileId") != null && d.get("sourceBytes") instanceof Number n) {
                total += n.longValue();
            }
            if (d.get("mp3") instanceof Document mp3 && d.get("mp3ExpiredAt") == null && mp3.get("bytes") instanceof Number n) {
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
        Document set = after.foldedFields();
        if (after.state().terminal() && !before.state().terminal()) {
            set.append(Outbox.NOTICE.field + ".pending", true)
                    .append(Outbox.NOTICE.field + ".traceHeaders", new Document(new java.util.LinkedHashMap<>(Tracing.inject())));
        }
        return jobs.updateOne(Filters.and(Filters.eq("_id", before.id()), Filters.eq("version", before.version())),
                Updates.combine(new Document("$set", set), Updates.inc("version", 1))).getModifiedCount() == 1;
    }

    // --- outboxes ------------------------------------------------------------------------------------------

    /** A job whose message is still to publish, with the trace context of what caused the message. */
    record Pending(Job job, Map<String, String> traceHeaders) {
    }

    /** Jobs with this message still to publish that nobody holds, oldest first. */
    List<Pending> pending(Outbox box, int limit) {
        List<Pending> pending = new ArrayList<>();
        jobs.find(Filters.and(Filters.eq(box.field + ".pending", true), leases.get(box).free()))
                .sort(Sorts.ascending("createdAt")).limit(limit).forEach(d -> {
                    Job job = Job.from(d);
                    Map<String, String> trace = new LinkedHashMap<>(job.traceHeaders());
                    if (d.get("outbox", Document.class).get(box.field.substring("outbox.".length())) instanceof Document entry
                            && entry.get("traceHeaders") instanceof Document headers) {
                        trace.clear();
                        headers.forEach((k, v) -> trace.put(k, String.valueOf(v)));
                    }
                    pending.add(new Pending(job, trace));
                });
        return pending;
    }

    /** Takes the job's message for {@code holder} for a while, so two gateways do not both relay it. */
    boolean claim(String jobId, Outbox box, String holder) {
        return leases.get(box).claim(Filters.and(Filters.eq("_id", jobId), Filters.eq(box.field + ".pending", true)),
                holder, null).isPresent();
    }

    /** Lets go of the job's message unpublished (the send failed), so the next pass tries it at once. */
    void unclaim(String jobId, Outbox box, String holder) {
        leases.get(box).release(jobId, holder, null);
    }

    /** The publishing id recorded for this job's message and producer, or records {@code id} and returns it. */
    long publishingId(String jobId, Outbox box, String producer, long id) {
        String key = producer.replace('.', '_'); // producer names hold stream names, and a dot would nest the field
        String field = box.field + ".publishingIds." + key;
        Document d = jobs.findOneAndUpdate(Filters.and(Filters.eq("_id", jobId), Filters.exists(field, false)),
                Updates.set(field, id), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        if (d != null) {
            return id;
        }
        Document existing = jobs.find(Filters.eq("_id", jobId)).first();
        if (existing == null) {
            return -1;
        }
        Document ids = existing.get("outbox", Document.class).get(box.field.substring("outbox.".length()), Document.class)
                .get("publishingIds", Document.class);
        return ((Number) ids.get(key)).longValue();
    }

    /** The message went out: whoever holds it now, it is no longer pending. */
    void published(String jobId, Outbox box) {
        jobs.updateOne(Filters.eq("_id", jobId), Updates.combine(Updates.set(box.field + ".pending", false),
                leases.get(box).freed(), Updates.set(box.field + ".publishedAt", Date.from(clock.instant()))));
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
