package com.mp3converter.gateway;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;
import com.mp3converter.gateway.jobs.MongoOutbox;

import org.bson.Document;

/**
 * Account deletions, in {@code account_deletions}: recorded before auth deletes the account, so that a gateway that
 * dies half-way leaves a record the next pass finishes from. A pass (on any replica; one at a time per account,
 * under a lease) makes sure auth deleted the account, deletes its jobs (each told to the transcoder and the mailer),
 * its uploads and its idempotency keys, then has {@code account.deleted} published for the mailer (its webhooks and
 * delivery records). The record goes once that is out. A record auth never confirmed (the gateway died while
 * asking) is checked with auth after a minute: the account still there means the deletion did not happen.
 */
final class AccountDeletions {
    private static final Logger LOG = Logger.getLogger(AccountDeletions.class.getName());
    private static final Duration UNCONFIRMED = Duration.ofMinutes(1);

    private final MongoCollection<Document> deletions;
    private final Lease lease;
    private final MongoOutbox<Requested> toMailer;
    private final JobStore jobs;
    private final JobDeleter deleter;
    private final ResumableUploads uploads;
    private final IdempotencyKeys keys;
    private final URI auth;
    private final Duration timeout;
    private final InternalCaller internal;
    private final Relay relay = new Relay("the account service");
    private final Clock clock;

    /** A deletion: whose, and when it was asked for. */
    record Requested(String userId, Instant at) {
        static Requested from(Document d) {
            return new Requested(d.getString("_id"), d.getDate("createdAt").toInstant());
        }
    }

    AccountDeletions(MongoConnection mongo, Duration lease, JobStore jobs, JobDeleter deleter, ResumableUploads uploads,
                     IdempotencyKeys keys, URI auth, Duration timeout, InternalCaller internal, Clock clock) {
        this.deletions = mongo.database().getCollection("account_deletions");
        this.lease = new Lease(deletions, "", lease, clock);
        this.toMailer = new MongoOutbox<>("account-deleted", deletions, Requested::from, lease, clock);
        this.jobs = jobs;
        this.deleter = deleter;
        this.uploads = uploads;
        this.keys = keys;
        this.auth = auth;
        this.timeout = timeout;
        this.internal = internal;
        this.clock = clock;
    }

    MongoOutbox<Requested> toMailer() {
        return toMailer;
    }

    void createIndexes() {
        toMailer.createIndexes();
    }

    /** Records that the account is about to be deleted (before auth is asked to). */
    void requested(String userId) {
        deletions.updateOne(Filters.eq("_id", userId), Updates.combine(Updates.setOnInsert("createdAt", Date.from(clock.instant())),
                Updates.setOnInsert("confirmed", false), Updates.setOnInsert("done", false)),
                new com.mongodb.client.model.UpdateOptions().upsert(true));
    }

    /** Auth deleted the account: the rest may go. */
    void confirmed(String userId) {
        deletions.updateOne(Filters.eq("_id", userId), Updates.set("confirmed", true));
    }

    /** Auth refused (a wrong password): nothing is deleted. */
    void refused(String userId) {
        deletions.deleteOne(Filters.and(Filters.eq("_id", userId), Filters.eq("confirmed", false)));
    }

    /** One pass over the deletions that are due; how many accounts it finished. */
    int run() {
        int finished = 0;
        Instant unconfirmedBefore = clock.instant().minus(UNCONFIRMED);
        String holder = UUID.randomUUID().toString();
        while (true) {
            Optional<Document> next = lease.claim(Filters.and(Filters.eq("done", false), Filters.or(
                    Filters.eq("confirmed", true), Filters.lt("createdAt", Date.from(unconfirmedBefore)))), holder, null,
                    new FindOneAndUpdateOptions());
            if (next.isEmpty()) {
                return finished + (int) deletions.deleteMany(Filters.and(Filters.eq("done", true),
                        Filters.nor(toMailer.stillPending()))).getDeletedCount();
            }
            String userId = next.get().getString("_id");
            try {
                if (finish(userId, next.get().getBoolean("confirmed", false))) {
                    finished++;
                }
            } catch (RuntimeException e) {
                LOG.warning(() -> "deleting account " + userId + " goes on at the next pass: " + e.getMessage());
            } finally {
                lease.release(userId, holder, null);
            }
        }
    }

    private boolean finish(String userId, boolean confirmed) {
        HttpResponse<byte[]> account = relay.exchange(toAuth(userId).GET().build());
        if (!confirmed && account.statusCode() == 200) {
            deletions.deleteOne(Filters.eq("_id", userId)); // auth never deleted it: the request did not go through
            return false;
        }
        if (account.statusCode() != 404) {
            HttpResponse<byte[]> deleted = relay.exchange(toAuth(userId).DELETE().build());
            if (deleted.statusCode() != 204) {
                throw new IllegalStateException("auth answered " + deleted.statusCode() + " to the deletion");
            }
        }
        for (List<Job> batch = jobs.list(userId, 0, 50); !batch.isEmpty(); batch = jobs.list(userId, 0, 50)) {
            batch.forEach(deleter::delete);
        }
        for (List<ResumableUploads.Upload> batch = uploads.of(userId, 50); !batch.isEmpty(); batch = uploads.of(userId, 50)) {
            batch.forEach(uploads::delete);
        }
        keys.forget(userId);
        deletions.updateOne(Filters.eq("_id", userId), Updates.combine(Updates.set("done", true), toMailer.markPending()));
        LOG.info(() -> "account " + userId + " deleted; the mailer is told");
        return true;
    }

    private HttpRequest.Builder toAuth(String userId) {
        return HttpRequest.newBuilder(auth.resolve("/users/" + userId)).timeout(timeout)
                .header(InternalCaller.HEADER.defaultCase(), internal.token());
    }
}
