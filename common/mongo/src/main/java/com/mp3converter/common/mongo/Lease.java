package com.mp3converter.common.mongo;

import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;

import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * A lease on the documents of one collection: who works on a document now, and until when, in one field
 * ({@code lease: {holder, until}}, under a prefix when a document has several, e.g. {@code outbox.video.lease}).
 * Claim if free or expired, renew while working, release when done. Every write by a holder is conditional on
 * still holding it, so a holder whose lease expired and was taken over finds out at its next write and stops.
 * Expiry is judged by this process's clock: a clock running ahead frees leases early (a second holder may start
 * before the first stops, so the work must be safe to repeat), one running behind keeps them longer.
 */
public final class Lease {
    private final MongoCollection<Document> collection;
    private final String holderField;
    private final String untilField;
    private final String field;
    private final Duration duration;
    private final Clock clock;

    /** A lease in {@code <prefix>lease} ({@code prefix} empty, or ending in a dot) lasting {@code duration}. */
    public Lease(MongoCollection<Document> collection, String prefix, Duration duration, Clock clock) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("a lease must last a while, not " + duration);
        }
        this.collection = collection;
        this.field = prefix + "lease";
        this.holderField = field + ".holder";
        this.untilField = field + ".until";
        this.duration = duration;
        this.clock = clock;
    }

    public Duration duration() {
        return duration;
    }

    /** Documents nobody holds: never claimed, released, or expired. */
    public Bson free() {
        return Filters.or(Filters.exists(untilField, false), Filters.eq(untilField, null),
                Filters.lt(untilField, Date.from(clock.instant())));
    }

    /** Documents {@code holder} holds now (expired or not: another may not have taken it yet). */
    public Bson heldBy(String holder) {
        return Filters.eq(holderField, holder);
    }

    /**
     * Claims one document matching {@code filter} whose lease is free (the first in {@code options}' sort), applying
     * {@code changes} in the same write; the document as it is after. With {@code options.upsert(true)} a document
     * that does not exist is created; one that exists but is held by someone else gives empty, like no match.
     */
    public Optional<Document> claim(Bson filter, String holder, Bson changes, FindOneAndUpdateOptions options) {
        try {
            return Optional.ofNullable(collection.findOneAndUpdate(Filters.and(filter, free()),
                    changes == null ? take(holder) : Updates.combine(take(holder), changes),
                    options.returnDocument(ReturnDocument.AFTER)));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            return Optional.empty();
        } catch (MongoCommandException e) {
            if (ErrorCategory.fromErrorCode(e.getErrorCode()) != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            return Optional.empty();
        }
    }

    /** {@link #claim(Bson, String, Bson, FindOneAndUpdateOptions)} without a sort or an upsert. */
    public Optional<Document> claim(Bson filter, String holder, Bson changes) {
        return claim(filter, holder, changes, new FindOneAndUpdateOptions());
    }

    /**
     * Pushes the expiry on and applies {@code changes} (may be null), if {@code holder} still holds document
     * {@code id}; false when the lease was taken over (the holder must stop working on it).
     */
    public boolean renew(Object id, String holder, Bson changes) {
        Bson extend = Updates.set(untilField, Date.from(clock.instant().plus(duration)));
        return collection.updateOne(Filters.and(Filters.eq("_id", id), heldBy(holder)),
                changes == null ? extend : Updates.combine(changes, extend)).getMatchedCount() == 1;
    }

    /** Applies {@code changes} and frees document {@code id}, if {@code holder} still holds it; false otherwise. */
    public boolean release(Object id, String holder, Bson changes) {
        return collection.updateOne(Filters.and(Filters.eq("_id", id), heldBy(holder)),
                changes == null ? freed() : Updates.combine(changes, freed())).getMatchedCount() == 1;
    }

    /**
     * The update that frees a document whoever holds it, for a write that ends the work for good (what was done
     * cannot be undone because the doer's lease ran out).
     */
    public Bson freed() {
        return Updates.unset(field);
    }

    /** The update that takes a lease for {@code holder} from now. */
    private Bson take(String holder) {
        return Updates.combine(Updates.set(holderField, holder),
                Updates.set(untilField, Date.from(clock.instant().plus(duration))));
    }
}
