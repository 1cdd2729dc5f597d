package com.mp3converter.transcoder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Who goes to the back of a partition, against the local stack's MongoDB endpoint (where attempts are recorded). */
class FairShareTest {
    private MongoConnection mongo;
    private Conversions conversions;
    private FairShare fair;

    @BeforeEach
    void start() {
        mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "fair_" + LocalServers.unique());
        conversions = new Conversions(mongo, Clock.systemUTC());
        conversions.createIndexes();
        fair = new FairShare(conversions, true, Duration.ofMinutes(30), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        mongo.database().drop();
        mongo.close();
    }

    @Test
    void aJobOfAnOwnerWithAConversionRunningGoesBackOncePerConversionDoneInItsPartition() {
        Events.VideoUploaded second = job("a2", "alice");
        assertThat("alice converts nothing yet", fair.ownerHadTurn(second, "p1"), is(false));
        conversions.beginAttempt("a1", "alice", Instant.now().plusSeconds(600)); // on another transcoder
        assertThat(fair.ownerHadTurn(second, "p1"), is(true));
        assertThat("bob's job is not held by alice's", fair.ownerHadTurn(job("b1", "bob"), "p1"), is(false));
        assertThat("round again with nothing converted here in between: only such jobs are queued, so it converts",
                fair.ownerHadTurn(second, "p1"), is(false));
        fair.converting(job("b1", "bob"), "p1");
        assertThat("bob's job converted meanwhile: others may be waiting, alice's goes back again",
                fair.ownerHadTurn(second, "p1"), is(true));
        conversions.endAttempt("a1");
        fair.converting(job("b2", "bob"), "p1");
        assertThat("alice's other conversion ended", fair.ownerHadTurn(second, "p1"), is(false));
    }

    @Test
    void theOwnerOfAPartitionsLastConversionLetsTheNextJobGoFirstThoughTheyConvertNothingNow() {
        // every partition has just finished one of alice's equal jobs: for an instant she converts nowhere
        conversions.beginAttempt("a1", "alice", Instant.now().plusSeconds(600));
        fair.converting(job("a1", "alice"), "p1");
        conversions.endAttempt("a1");
        Events.VideoUploaded second = job("a2", "alice");
        assertThat("alice had p1's last turn", fair.ownerHadTurn(second, "p1"), is(true));
        assertThat("bob's job goes next", fair.ownerHadTurn(job("b1", "bob"), "p1"), is(false));
        assertThat("in another partition alice had no turn", fair.ownerHadTurn(job("a3", "alice"), "p2"), is(false));
        assertThat("round again with nothing converted here in between: it converts", fair.ownerHadTurn(second, "p1"),
                is(false));
        fair.converting(job("a4", "alice"), "p1");
        assertThat("a job retrying its own turn does not go back for it", fair.ownerHadTurn(job("a4", "alice"), "p1"),
                is(false));
    }

    @Test
    void anAttemptOfADeadProcessStopsCountingAtItsDeadline() {
        conversions.beginAttempt("a1", "alice", Instant.now().minusSeconds(1));
        assertThat(fair.ownerHadTurn(job("a2", "alice"), "p0"), is(false));
    }

    @Test
    void aLongJobGoesBackOnceAndAShortOneNever() {
        Events.VideoUploaded longOne = job("l1", "carol");
        assertThat(fair.isLong(job("s1", "carol"), "p2", 29 * 60), is(false));
        assertThat(fair.isLong(longOne, "p2", 31 * 60), is(true));
        fair.converting(job("s1", "carol"), "p2");
        assertThat("once only, whatever converted meanwhile", fair.isLong(longOne, "p2", 31 * 60), is(false));
    }

    @Test
    void switchedOffNobodyGoesBack() {
        FairShare off = new FairShare(conversions, false, Duration.ofMinutes(30), Clock.systemUTC());
        conversions.beginAttempt("a1", "alice", Instant.now().plusSeconds(600));
        assertThat(off.ownerHadTurn(job("a2", "alice"), "p0"), is(false));
        assertThat(off.isLong(job("a3", "alice"), "p0", 3600), is(false));
    }

    private static Events.VideoUploaded job(String id, String owner) {
        return new Events.VideoUploaded(id, "0123456789abcdef01234567", owner, id + ".flac", 1000, Events.Options.DEFAULT,
                Instant.now());
    }
}
