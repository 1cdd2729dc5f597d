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
            MongoOutbox<Job> videos = jobs.outbox(JobStore.Outbox.VIDEO);
            String producer = "gateway-1-mp3.videos-0"; // stream names hold dots
            assertThat(videos.publishingId(job.id(), producer, 5), is(5L));
            assertThat("the retry after a failed send reuses the id", videos.publishingId(job.id(), producer, 9), is(5L));
            assertThat(videos.claim(job.id(), "replica-a"), is(true));
            assertThat(videos.claim(job.id(), "replica-b"), is(false));
            assertThat("a held message is pending for nobody else", videos.pending(10).size(), is(0));
            videos.unclaim(job.id(), "replica-b");
            assertThat("only its holder lets it go", videos.claim(job.id(), "replica-b"), is(false));
            videos.unclaim(job.id(), "replica-a");
            assertThat("a failed send lets it go at once", videos.pending(10).size(), is(1));
            assertThat(videos.claim(job.id(), "replica-b"), is(true));
            videos.published(job.id());
            assertThat(videos.pending(10).size(), is(0));
            assertThat("published is not pending, held or not", videos.claim(job.id(), "replica-a"), is(false));
            assertThat("the other outbox of the job is its own", jobs.outbox(JobStore.Outbox.NOTICE).pending(10).size(), is(0));
            mongo.database().drop();
        }
    }
}
