package com.mp3converter.mailer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;

import org.bson.Document;
import org.bson.types.Binary;

/**
 * The mailer's own records, one per (jobId, kind) in {@code deliveries} (an account mail: its own id for the job's),
 * with the owner's user id: SENDING → SENT | DEFERRED |
 * UNDELIVERABLE. Sending needs the record's lease: a new record, a DEFERRED one, or a SENDING one whose lease
 * expired (its sender died). So two handlers of the same event (a replay after a broker restart racing the first)
 * never both send, and a record SENT or UNDELIVERABLE makes every redelivery send nothing. A finished record stays
 * {@code reported: false} until the gateway has been told (an outbox for {@code notification.sent/failed}).
 */
public final class DeliveryStore {
    public enum State { SENDING, SENT, DEFERRED, UNDELIVERABLE }

    /** A delivery as stored. */
    public record Delivery(String id, String jobId, String kind, String owner, State state, int attempts, byte[] event,
                           Instant firstAttemptAt, Instant nextAttemptAt, String error) {
    }

    private final MongoCollection<Document> deliveries;
    private final Lease lease;
    private final String holder;
    private final Clock clock;

    /** {@code lease}: how long a sender holds a delivery without renewing it; {@code holder} names this sender. */
    public DeliveryStore(MongoConnection mongo, Duration lease, String holder, Clock clock) {
        this.deliveries = mongo.database().getCollection("deliveries");
        this.lease = new Lease(deliveries, "", lease, clock);
        this.holder = holder;
        this.clock = clock;
    }

    public Duration lease() {
        return lease.duration();
    }

    /**
     * Claims the delivery, counting an attempt: empty when it is done (SENT, UNDELIVERABLE) or another sender holds
     * it; {@link #find} tells which.
     */
    public Optional<Delivery> claim(String jobId, String kind, String owner, byte[] event) {
        Instant now = clock.instant();
        return lease.claim(Filters.and(Filters.eq("_id", jobId + ":" + kind),
                        Filters.in("state", State.SENDING.name(), State.DEFERRED.name())), holder,
                Updates.combine(
                        Updates.setOnInsert("jobId", jobId),
                        Updates.setOnInsert("owner", owner),
                        Updates.setOnInsert("kind", kind),
                        Updates.setOnInsert("event", new Binary(event)),
                        Updates.setOnInsert("firstAttemptAt", Date.from(now)),
                        Updates.set("state", State.SENDING.name()),
                        Updates.inc("attempts", 1),
                        Updates.set("lastAttemptAt", Date.from(now))),
                new FindOneAndUpdateOptions().upsert(true)).map(DeliveryStore::delivery);
    }

    /** Keeps the claim for another lease; false when it was lost (the sender must not send). */
    public boolean renew(Delivery d) {
        return lease.renew(d.id(), holder, null);
    }

    public Optional<Delivery> find(String jobId, String kind) {
        return Optional.ofNullable(deliveries.find(Filters.eq("_id", jobId + ":" + kind)).first()).map(DeliveryStore::delivery);
    }

    /** Recorded whoever holds the delivery now: the mail went out, a later claim must find it sent. */
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
        lease.release(d.id(), holder, Updates.combine(Updates.set("state", State.DEFERRED.name()),
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

    /** Forgets the deliveries about a deleted job. */
    public void forgetJob(String jobId) {
        deliveries.deleteMany(Filters.eq("jobId", jobId));
    }

    /** Forgets every delivery to a deleted account. */
    public void forgetOwner(String owner) {
        deliveries.deleteMany(Filters.eq("owner", owner));
    }

    /** Forgets finished deliveries first tried before {@code keep} ago (no redelivery can need them); how many. */
    public int expire(Duration keep) {
        return (int) deliveries.deleteMany(Filters.and(Filters.in("state", State.SENT.name(), State.UNDELIVERABLE.name()),
                Filters.eq("reported", true), Filters.lt("firstAttemptAt", Date.from(clock.instant().minus(keep)))))
                .getDeletedCount();
    }

    public void createIndexes() {
        deliveries.createIndex(Indexes.ascending("jobId"));
        deliveries.createIndex(Indexes.ascending("owner"));
        deliveries.createIndex(Indexes.compoundIndex(Indexes.ascending("state"), Indexes.ascending("nextAttemptAt")));
        deliveries.createIndex(Indexes.ascending("reported"));
    }

    private void set(Delivery d, State state, org.bson.conversions.Bson extra) {
        deliveries.updateOne(Filters.eq("_id", d.id()), Updates.combine(Updates.set("state", state.name()), extra,
                Updates.unset("nextAttemptAt"), lease.freed()));
    }

    private static Delivery delivery(Document d) {
        Date first = d.getDate("firstAttemptAt");
        Date next = d.getDate("nextAttemptAt");
        byte[] bytes = d.get("event") instanceof Binary b ? b.getData() : new byte[0];
        return new Delivery(d.getString("_id"), d.getString("jobId"), d.getString("kind"), d.getString("owner"),
                State.valueOf(d.getString("state")), d.get("attempts") instanceof Number n ? n.intValue() : 0, bytes,
                first == null ? null : first.toInstant(), next == null ? null : next.toInstant(), d.getString("error"));
    }
}
