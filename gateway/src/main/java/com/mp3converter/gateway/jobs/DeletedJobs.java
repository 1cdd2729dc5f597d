package com.mp3converter.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.mongo.MongoConnection;

import org.bson.Document;

/**
 * Deleted jobs whose other keepers are still to be told, in {@code deleted_jobs}: the transcoder (its attempt
 * record; through the job's {@code mp3.videos} partition, so it comes after the job's {@code video.uploaded}) and
 * the mailer (its delivery records). One document per deleted job, holding its id and owner's id only, removed
 * once both messages are out.
 */
public final class DeletedJobs {
    private final MongoCollection<Document> deleted;
    private final MongoOutbox<Deleted> toTranscoder;
    private final MongoOutbox<Deleted> toMailer;
    private final Clock clock;

    /** A deleted job: what the messages say. */
    public record Deleted(String jobId, String ownerId, Instant at) {
        static Deleted from(Document d) {
            return new Deleted(d.getString("_id"), d.getString("ownerId"), d.getDate("createdAt").toInstant());
        }
    }

    public DeletedJobs(MongoConnection mongo, Duration lease, Clock clock) {
        this.deleted = mongo.database().getCollection("deleted_jobs");
        this.toTranscoder = new MongoOutbox<>("deleted-video", deleted, Deleted::from, lease, clock);
        this.toMailer = new MongoOutbox<>("deleted-notice", deleted, Deleted::from, lease, clock);
        this.clock = clock;
    }

    public MongoOutbox<Deleted> toTranscoder() {
        return toTranscoder;
    }

    public MongoOutbox<Deleted> toMailer() {
        return toMailer;
    }

    public void createIndexes() {
        toTranscoder.createIndexes();
        toMailer.createIndexes();
    }

    /** Records the job's deletion with both messages pending; a second deletion of the same job changes nothing. */
    public void record(String jobId, String ownerId) {
        try {
            deleted.insertOne(new Document("_id", jobId).append("ownerId", ownerId)
                    .append("createdAt", Date.from(clock.instant()))
                    .append("outbox", new Document(toTranscoder.name(), toTranscoder.entry())
                            .append(toMailer.name(), toMailer.entry())));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
        }
    }

    /** Forgets deletions both keepers were told of; how many. */
    public int sweep() {
        return (int) deleted.deleteMany(Filters.and(Filters.exists("outbox"), Filters.nor(toTranscoder.stillPending()),
                Filters.nor(toMailer.stillPending()))).getDeletedCount();
    }
}
