package com.mp3converter.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The outbox bookkeeping against the local stack's MongoDB endpoint. */
class JobStoreTest {
    @Test
    void aRelayThatTriesAgainGetsThePublishingIdItRecordedAndOnlyOneReplicaHoldsTheClaim() {
        try (MongoConnection mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "store_" + LocalServers.unique())) {
            JobStore jobs = new JobStore(mongo, Clock.systemUTC(), Duration.ofSeconds(30));
            Job job = Job.uploaded("job-1", new Events.Owner("u", "u@example.com"), "a.mp4", 1, null,
                    Events.Options.DEFAULT, Map.of(), Instant.now());
            jobs.insert(job);
            String producer = "gateway-1-mp3.videos-0"; // stream names hold dots
            assertThat(jobs.publishingId(job.id(), JobStore.Outbox.VIDEO, producer, 5), is(5L));
            assertThat("the retry after a failed send reuses the id", jobs.publishingId(job.id(), JobStore.Outbox.VIDEO,
                    producer, 9), is(5L));
            assertThat(jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-a"), is(true));
            assertThat(jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-b"), is(false));
            assertThat("a held message is pending for nobody else", jobs.pending(JobStore.Outbox.VIDEO, 10).size(), is(0));
            jobs.unclaim(job.id(), JobStore.Outbox.VIDEO, "replica-b");
            assertThat("only its holder lets it go", jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-b"), is(false));
            jobs.unclaim(job.id(), JobStore.Outbox.VIDEO, "replica-a");
            assertThat("a failed send lets it go at once", jobs.pending(JobStore.Outbox.VIDEO, 10).size(), is(1));
            assertThat(jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-b"), is(true));
            jobs.published(job.id(), JobStore.Outbox.VIDEO);
            assertThat(jobs.pending(JobStore.Outbox.VIDEO, 10).size(), is(0));
            assertThat("published is not pending, held or not", jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-a"), is(false));
            mongo.database().drop();
        }
    }
}
