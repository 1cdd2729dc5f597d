package com.mp3converter.common.mongo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.MovableClock;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The one lease every store uses, against the local stack's MongoDB endpoint, with a clock the test moves. */
class LeaseTest {
    private static final Duration TERM = Duration.ofSeconds(30);
    private MongoConnection mongo;
    private MongoCollection<Document> things;
    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-05T12:00:00Z"));
    private Lease lease;

    @BeforeEach
    void collection() {
        mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "lease_" + LocalServers.unique());
        things = mongo.database().getCollection("things");
        things.insertOne(new Document("_id", "a").append("work", 0));
        lease = new Lease(things, "", TERM, clock);
    }

    @AfterEach
    void drop() {
        mongo.database().drop();
        mongo.close();
    }

    @Test
    void aHeldDocumentCannotBeClaimedUntilItsLeaseExpires() {
        assertThat(claim("one").isPresent(), is(true));
        assertThat("held", claim("two").isPresent(), is(false));
        clock.move(TERM.minusSeconds(1));
        assertThat("still held a second before the end", claim("two").isPresent(), is(false));
        clock.move(Duration.ofSeconds(2));
        assertThat("expired: the next claimer takes it", claim("two").isPresent(), is(true));
        assertThat("the first holder finds out at its next write", lease.renew("a", "one", null), is(false));
        assertThat("and cannot free what it lost", lease.release("a", "one", null), is(false));
        assertThat("so the new holder keeps it", claim("three").isPresent(), is(false));
    }

    @Test
    void renewingKeepsItAndReleasingFreesItAtOnce() {
        claim("one");
        clock.move(TERM.minusSeconds(5));
        assertThat(lease.renew("a", "one", Updates.inc("work", 1)), is(true));
        clock.move(TERM.minusSeconds(5));
        assertThat("renewed: held a whole term from the renewal", claim("two").isPresent(), is(false));
        assertThat(lease.release("a", "one", Updates.inc("work", 1)), is(true));
        assertThat(things.find().first().getInteger("work"), is(2));
        assertThat("released: free now", claim("two").isPresent(), is(true));
    }

    @Test
    void ofManyCompetingClaimersExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Optional<Document>>> tries = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String holder = "claimer-" + i;
                tries.add(pool.submit((Callable<Optional<Document>>) () -> claim(holder)));
            }
            int won = 0;
            for (Future<Optional<Document>> each : tries) {
                won += each.get().isPresent() ? 1 : 0;
            }
            assertThat(won, is(1));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClockThatJumpsAheadFreesTheLeaseAndTheOldHolderLearnsItLostIt() {
        claim("one");
        clock.move(Duration.ofHours(1)); // NTP correction, a resumed VM: the lease looks long expired
        assertThat(claim("two").isPresent(), is(true));
        assertThat(lease.renew("a", "one", Updates.inc("work", 1)), is(false));
        assertThat("the loser's change was not applied", things.find().first().getInteger("work"), is(0));
    }

    @Test
    void aClockThatJumpsBackKeepsTheLeaseLongerNeverShorter() {
        claim("one");
        clock.move(Duration.ofHours(-1));
        clock.move(TERM.plusSeconds(1));
        assertThat("a term after the jump back, the lease is still held", claim("two").isPresent(), is(false));
        clock.move(Duration.ofHours(1));
        assertThat(claim("two").isPresent(), is(true));
    }

    @Test
    void claimTakesTheFirstFreeDocumentInTheGivenOrderAndCanCreateIt() {
        things.insertOne(new Document("_id", "b").append("work", 5));
        Optional<Document> first = lease.claim(Filters.exists("work"), "one", null,
                new FindOneAndUpdateOptions().sort(Sorts.descending("work")));
        assertThat(first.orElseThrow().getString("_id"), is("b"));
        Optional<Document> created = lease.claim(Filters.eq("_id", "c"), "one", Updates.setOnInsert("work", 9),
                new FindOneAndUpdateOptions().upsert(true));
        assertThat(created.orElseThrow().getInteger("work"), is(9));
        Optional<Document> held = lease.claim(Filters.eq("_id", "c"), "two", Updates.setOnInsert("work", 1),
                new FindOneAndUpdateOptions().upsert(true));
        assertThat("an existing, held document is not claimed twice by an upsert", held.isPresent(), is(false));
        assertThat(things.countDocuments(Filters.eq("_id", "c")), is(1L));
    }

    private Optional<Document> claim(String holder) {
        return lease.claim(Filters.eq("_id", "a"), holder, null);
    }
}
