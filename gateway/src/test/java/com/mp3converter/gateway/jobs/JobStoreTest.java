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
            JobStore jobs = new JobStore(mongo, Clock.systemUTC());
            Job job = Job.uploaded("job-1", new Events.Owner("u", "u@example.com"), "a.mp4", 1, null,
                    Events.Options.DEFAULT, Map.of(), Instant.now());
            jobs.insert(job);
            String producer = "gateway-1-mp3.videos-0"; // stream names hold dots
            assertThat(jobs.publishingId(job.id(), JobStore.Outbox.VIDEO, producer, 5), is(5L));
            assertThat("the retry after a failed send reuses the id", jobs.publishingId(job.id(), JobStore.Outbox.VIDEO,
                    producer, 9), is(5L));
            assertThat(jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-a", Duration.ofMinutes(1)), is(true));
            assertThat(jobs.claim(job.id(), JobStore.Outbox.VIDEO, "replica-b", Duration.ofMinutes(1)), is(false));
            assertThat(jobs.pending(JobStore.Outbox.VIDEO, "replica-b", 10).size(), is(0));
            assertThat(jobs.pending(JobStore.Outbox.VIDEO, "replica-a", 10).size(), is(1));
            jobs.published(job.id(), JobStore.Outbox.VIDEO);
            assertThat(jobs.pending(JobStore.Outbox.VIDEO, "replica-a", 10).size(), is(0));
            mongo.database().drop();
        }
    }
}
