package com.mp3converter.transcoder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.stream.EventMessage;

import org.bson.Document;
import org.bson.types.Binary;

/**
 * The transcoder's own record of each job it was asked to convert ({@code conversions}): how many attempts
 * began (counted before each one, so a job that kills the process every time still runs out of attempts), whose
 * job it is and until when it is converting (so every transcoder sees which owners have a conversion running:
 * {@link FairShare}) and, once there is one, the outcome event, kept so a redelivered job publishes the same
 * outcome instead of converting again.
 */
final class Conversions {
    private final MongoCollection<Document> conversions;

    private final Clock clock;

    Conversions(MongoConnection mongo, Clock clock) {
        this.conversions = mongo.database().getCollection("conversions");
        this.clock = clock;
    }

    /**
     * Counts a new attempt of this job of {@code owner}, converting until {@code until} at the latest (the attempt's
     * deadline: a process that dies mid-attempt leaves its job marked converting no longer); its number (1 for the
     * first).
     */
    int beginAttempt(String jobId, String owner, Instant until) {
        Document d = conversions.findOneAndUpdate(Filters.eq("_id", jobId), Updates.combine(Updates.inc("attempts", 1),
                        Updates.setOnInsert("createdAt", Date.from(clock.instant())), Updates.set("owner", owner),
                        Updates.set("convertingUntil", Date.from(until))),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
        return d.getInteger("attempts");
    }

    /** The job was deleted: its record goes. */
    void forget(String jobId) {
        conversions.deleteOne(Filters.eq("_id", jobId));
    }

    /**
     * Forgets records begun before {@code keep} ago: longer than the stream keeps the job's message, no redelivery
     * can need them; how many. Records from before they were dated are dated now.
     */
    int expire(Duration keep) {
        Date now = Date.from(clock.instant());
        conversions.updateMany(Filters.exists("createdAt", false), Updates.set("createdAt", now));
        return (int) conversions.deleteMany(Filters.lt("createdAt", Date.from(now.toInstant().minus(keep)))).getDeletedCount();
    }

    /** The indexes of the expiry and of {@link #busyElsewhere}; creating an existing index is a no-op. */
    void createIndexes() {
        conversions.createIndex(Indexes.ascending("createdAt"));
        conversions.createIndex(Indexes.ascending("owner", "convertingUntil"));
    }

    /** The attempt ended (whatever its outcome): the job is no longer converting. */
    void endAttempt(String jobId) {
        conversions.updateOne(Filters.eq("_id", jobId), Updates.unset("convertingUntil"));
    }

    /** The attempt that just began did not convert (the job went to the back of its partition): it does not count. */
    void giveBackAttempt(String jobId) {
        conversions.updateOne(Filters.and(Filters.eq("_id", jobId), Filters.gt("attempts", 0)),
                Updates.combine(Updates.inc("attempts", -1), Updates.unset("convertingUntil")));
    }

    /** True when another job of {@code owner} is converting now, on any transcoder. */
    boolean busyElsewhere(String owner, String jobId, Instant now) {
        return conversions.countDocuments(Filters.and(Filters.eq("owner", owner), Filters.ne("_id", jobId),
                Filters.gt("convertingUntil", Date.from(now)))) > 0;
    }

    /** The outcome recorded for this job, if it has one. */
    Optional<Outcome> outcome(String jobId) {
        Document d = conversions.find(Filters.eq("_id", jobId)).first();
        if (d == null || !(d.get("outcome") instanceof Document outcome)) {
            return Optional.empty();
        }
        return Optional.of(new Outcome(outcome.getString("type"), outcome.getInteger("attempt"),
                outcome.get("body", Binary.class).getData()));
    }

    void recordOutcome(String jobId, Outcome outcome) {
        conversions.updateOne(Filters.eq("_id", jobId), Updates.set("outcome", new Document("type", outcome.type())
                .append("attempt", outcome.attempt()).append("body", new Binary(outcome.body()))));
    }

    /** {@code conversion.done} or {@code conversion.failed}, as published. */
    record Outcome(String type, int attempt, byte[] body) {
        EventMessage message(String jobId, java.util.Map<String, String> traceHeaders) {
            return new EventMessage(type, com.mp3converter.common.events.Events.VERSION, jobId,
                    jobId + ":" + type + ":" + attempt, body, java.util.Map.copyOf(traceHeaders));
        }
    }
}
