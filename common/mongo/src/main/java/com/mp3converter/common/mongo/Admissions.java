package com.mp3converter.common.mongo;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;

import org.bson.Document;

/**
 * One request at a time per key (a user) for what counts a limit and then writes what it counted: two uploads
 * created at the same moment cannot both see nineteen of twenty and both insert the twentieth. The key is held
 * under a {@link Lease} in a collection of its own, so a holder that dies frees it after the lease; a request that
 * finds it held waits its turn for a while, then is told to try again.
 */
public final class Admissions {
    private static final Duration POLL = Duration.ofMillis(20);

    private final MongoCollection<Document> locks;
    private final Lease lease;
    private final Duration patience;

    /** Why a request could not have its turn. */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("another request of the same user holds its turn", null, false, false);
        }
    }

    /** {@code patience}: how long a request waits for its turn. */
    public Admissions(MongoCollection<Document> locks, Duration lease, Duration patience, Clock clock) {
        this.locks = locks;
        this.lease = new Lease(locks, "", lease, clock);
        this.patience = patience;
    }

    /** Runs {@code work} holding {@code key}; {@link Busy} when the turn did not come within the patience. */
    public <T> T exclusively(String key, Supplier<T> work) {
        String holder = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + patience.toNanos();
        while (lease.claim(Filters.eq("_id", key), holder, null, new FindOneAndUpdateOptions().upsert(true)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new Busy();
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Busy();
            }
        }
        try {
            return work.get();
        } finally {
            locks.deleteOne(Filters.and(Filters.eq("_id", key), lease.heldBy(holder)));
        }
    }
}
