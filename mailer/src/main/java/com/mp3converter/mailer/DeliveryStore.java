package com.mp3converter.mailer;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.MongoConnection;

import org.bson.Document;

/**
 * The mailer's own records, one per (jobId, kind) in {@code deliveries}: SENDING → SENT | DEFERRED |
 * UNDELIVERABLE. Sending needs a claim: a new record, a DEFERRED one, or a SENDING one whose claim expired (its
 * sender died). So two handlers of the same event (a replay after a broker restart racing the first) never both
 * send, and a record SENT or UNDELIVERABLE makes every redelivery send nothing. A finished record stays
 * {@code reported: false} until the gateway has been told (an outbox for {@code notification.sent/failed}).
 */
public final class DeliveryStore {
    public enum State { SENDING, SENT, DEFERRED, UNDELIVERABLE }

    /** A delivery as stored. */
    public record Delivery(String id, String jobId, String kind, State state, int attempts, byte[] event,
                           Instant firstAttemptAt, Instant nextAttemptAt, String error) {
    }

    private final MongoCollection<Document> deliveries;
    private final Clock clock;

    public DeliveryStore(MongoConnection mongo, Clock clock) {
        this.deliveries = mongo.database().getCollection("deliveries");
        this.clock = clock;
    }

    /**
     * Claims the delivery for {@code lease}: empty when it is done (SENT, UNDELIVERABLE) or another sender
     * holds a live claim; {@link #find} tells which.
     */
    public Optional<Delivery> claim(String jobId, String kind, byte[] event, java.time.Duration lease) {
        Instant now = clock.instant();
        String id = jobId + ":" + kind;
        try {
            Document d = deliveries.findOneAndUpdate(Filters.and(Filters.eq("_id", id), Filters.or(
                            Filters.eq("state", State.DEFERRED.name()),
                            Filters.and(Filters.eq("state", State.SENDING.name()), Filters.lt("claimedUntil", Date.from(now))))),
                    Updates.combine(
                            Updates.setOnInsert("jobId", jobId),
                            Updates.setOnInsert("kind", kind),
                            Updates.setOnInsert("event", new org.bson.types.Binary(event)),
                            Updates.setOnInsert("firstAttemptAt", Date.from(now)),
                            Updates.set("state", State.SENDING.name()),
                            Updates.set("claimedUntil", Date.from(now.plus(lease))),
                            Updates.inc("attempts", 1),
                            Updates.set("lastAttemptAt", Date.from(now))),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            return Optional.of(delivery(d));
        } catch (com.mongodb.MongoWriteException | com.mongodb.MongoCommandException e) {
            if (e.getCode() != 11000) {
                throw e;
            }
            return Optional.empty(); // the record exists and is not claimable
        }
    }

    public Optional<Delivery> find(String jobId, String kind) {
        return Optional.ofNullable(deliveries.find(Filters.eq("_id", jobId + ":" + kind)).first()).map(DeliveryStore::delivery);
    }

    public void sent(Delivery d) {
        set(d, State.SENT, Updates.combine(Updates.set("sentAt", Date.from(clock.instant())), Updates.set("reported", false)));
    }

    public void undeliverable(Delivery d, String error) {
        set(d, State.UNDELIVERABLE, Updates.combine(Updates.set("error", error), Updates.set("reported", false)));
    }

    /** The gateway was told of this finished delivery. */
    public void reported(Delivery d) {
        deliveries.updateOne(Filters.eq("_id", d.id()), Updates.set("reported", true));
    }

    /** Finished deliveries the gateway has not been told of (the report was not confirmed). */
    public List<Delivery> unreported(int limit) {
        List<Delivery> unreported = new ArrayList<>();
        deliveries.find(Filters.eq("reported", false)).limit(limit).forEach(d -> unreported.add(delivery(d)));
        return unreported;
    }

    public void deferred(Delivery d, Instant nextAttempt, String error) {
        deliveries.updateOne(Filters.eq("_id", d.id()), Updates.combine(Updates.set("state", State.DEFERRED.name()),
                Updates.set("nextAttemptAt", Date.from(nextAttempt)), Updates.set("error", error)));
    }

    /** Deferred deliveries whose next attempt is due. */
    public List<Delivery> due(int limit) {
        List<Delivery> due = new ArrayList<>();
        deliveries.find(Filters.and(Filters.eq("state", State.DEFERRED.name()),
                        Filters.lte("nextAttemptAt", Date.from(clock.instant()))))
                .sort(Sorts.ascending("nextAttemptAt")).limit(limit).forEach(d -> due.add(delivery(d)));
        return due;
    }

    private void set(Delivery d, State state, org.bson.conversions.Bson extra) {
        deliveries.updateOne(Filters.eq("_id", d.id()), Updates.combine(Updates.set("state", state.name()), extra,
                Updates.unset("nextAttemptAt")));
    }

    private static Delivery delivery(Document d) {
        Date first = d.getDate("firstAttemptAt");
        Date next = d.getDate("nextAttemptAt");
        Object event = d.get("event");
        byte[] bytes = event instanceof org.bson.types.Binary b ? b.getData() : new byte[0];
        return new Delivery(d.getString("_id"), d.getString("jobId"), d.getString("kind"),
                State.valueOf(d.getString("state")), d.get("attempts") instanceof Number n ? n.intValue() : 0, bytes,
                first == null ? null : first.toInstant(), next == null ? null : next.toInstant(), d.getString("error"));
    }
}
