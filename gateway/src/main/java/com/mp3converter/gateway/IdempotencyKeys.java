package com.mp3converter.gateway;

import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;

import org.bson.Document;

/**
 * {@code Idempotency-Key}s of uploads, in {@code idempotency_keys}: a key names one job id, chosen when the key is
 * first seen. The request uploading under it holds the key under a lease, renewed while bytes arrive; a gateway
 * that dies mid-upload lets the lease run out, and the client's retry takes the key over with the same job id. Once
 * that job exists, every request with the key is answered with it.
 */
public final class IdempotencyKeys {
    private final MongoCollection<Document> keys;
    private final Lease lease;
    private final Clock clock;
    private final Supplier<String> jobIds;

    /** What a key gives this request. */
    public sealed interface Reservation {
        String jobId();
    }

    /** This request uploads, as job {@code jobId}, holding the key as {@code holder}. */
    public record Reserved(String jobId, String userId, String key, String holder) implements Reservation {
    }

    /** The key's job exists: answer with it. */
    public record Replay(String jobId) implements Reservation {
    }

    /** Another request is uploading under the key now. */
    public record InProgress(String jobId) implements Reservation {
    }

    /** {@code jobIds}: where the job id a key is first seen with comes from. */
    public IdempotencyKeys(MongoConnection mongo, Duration lease, Clock clock, Supplier<String> jobIds) {
        this.jobIds = jobIds;
        this.keys = mongo.database().getCollection("idempotency_keys");
        this.lease = new Lease(keys, "", lease, clock);
        this.clock = clock;
    }

    /** Reserves {@code key} of this user; {@code jobExists} tells whether a job id was already used. */
    public Reservation reserve(String userId, String key, Predicate<String> jobExists) {
        String id = userId + ":" + key;
        String holder = UUID.randomUUID().toString();
        Optional<Document> claimed = lease.claim(Filters.eq("_id", id), holder,
                Updates.combine(Updates.setOnInsert("jobId", jobIds.get()),
                        Updates.setOnInsert("createdAt", Date.from(clock.instant()))),
                new FindOneAndUpdateOptions().upsert(true));
        Document d = claimed.orElseGet(() -> keys.find(Filters.eq("_id", id)).first());
        if (d == null) {
            return new InProgress(null); // released by its holder between the two reads: a retry will take it
        }
        String jobId = d.getString("jobId");
        if (jobExists.test(jobId)) {
            claimed.ifPresent(taken -> lease.release(id, holder, null));
            return new Replay(jobId);
        }
        return claimed.isPresent() ? new Reserved(jobId, userId, key, holder) : new InProgress(jobId);
    }

    /** Keeps the key while the upload goes on; false when it was taken over (this request must stop). */
    public boolean renew(Reserved reserved) {
        return lease.renew(reserved.userId() + ":" + reserved.key(), reserved.holder(), null);
    }

    /** The job exists: the key now answers with it. */
    public void used(Reserved reserved) {
        lease.release(reserved.userId() + ":" + reserved.key(), reserved.holder(), null);
    }

    /** Forgets every key of a user (its account is deleted). */
    public void forget(String userId) {
        keys.deleteMany(Filters.regex("_id", "^" + Pattern.quote(userId) + ":"));
    }

    /** Forgets keys first seen before {@code keep} ago: a retry that late is a new upload; how many. */
    public int expire(Duration keep) {
        return (int) keys.deleteMany(Filters.lt("createdAt", Date.from(clock.instant().minus(keep)))).getDeletedCount();
    }

    /** The upload was refused or cut: the key is free for a retry (with a new job id). */
    public void abandoned(Reserved reserved) {
        keys.deleteOne(Filters.and(Filters.eq("_id", reserved.userId() + ":" + reserved.key()), lease.heldBy(reserved.holder())));
    }
}
